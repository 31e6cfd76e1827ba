package community

import "testing"

func TestRoomBase(t *testing.T) {
	vars := map[string]string{"county": "阳新", "year": "2026"}
	tests := []struct {
		pattern, topic string
		want           string
		ok             bool
	}{
		{"NF-{county}{year}-{n}", "", "NF-阳新2026-", true},
		{"NF-{county}{year}{topic}群{n}", "选品", "NF-阳新2026选品群", true},
		{"  {county}班 {n}  ", "", "阳新班 ", true},
		{"NF-{county}{year}第{n}期群", "", "", false}, // text after the number
		{"NF-{county}{year}全员群", "", "", false},    // no number
		{"{n}班{n}", "", "", false},                 // two numbers
		{"{n}", "", "", false},                     // nothing before it
		{"{missing}{n}", "", "", false},            // a variable without a value
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := RoomBase(p, vars, tt.topic)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RoomBase(%q) = %q, %v; want %q, %v", tt.pattern, got, ok, tt.want, tt.ok)
		}
		if ok {
			// The platform's name for group 3 is the family's name.
			if name := FamilyName(p, vars, tt.topic, 3); got+"3" != name {
				t.Errorf("%q: base %q + 3 != family name %q", tt.pattern, got, name)
			}
		}
	}
}
