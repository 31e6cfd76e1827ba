package pipeline

import (
	"fmt"
	"testing"
)

func TestLRU(t *testing.T) {
	c := newLRU[int, string](10)
	for i := range 100 {
		c.put(i, fmt.Sprint(i))
		if c.len() > 10 {
			t.Fatalf("%d entries after %d puts, limit 10", c.len(), i+1)
		}
		// Entry 0 is used all the time: it stays.
		if v, ok := c.get(0); !ok || v != "0" {
			t.Fatalf("the entry in use was forgotten after %d puts", i+1)
		}
	}
	if _, ok := c.get(50); ok {
		t.Fatal("an entry unused for 49 puts is still there")
	}
	if v, ok := c.get(99); !ok || v != "99" {
		t.Fatal("the newest entry is gone")
	}
	c.put(99, "again")
	if v, _ := c.get(99); v != "again" || c.len() > 10 {
		t.Fatalf("an overwritten entry: %q, %d entries", v, c.len())
	}
	c.del(99)
	if _, ok := c.get(99); ok {
		t.Fatal("a deleted entry is there")
	}
	c.clear()
	if c.len() != 0 {
		t.Fatal("not cleared")
	}
	one := newLRU[int, int](1) // a limit below two still holds one entry
	one.put(1, 1)
	one.put(2, 2)
	if one.len() > 2 {
		t.Fatal("a tiny cache grew")
	}
}
