package sim

// Style is the kind of chat a group has.
type Style int

const (
	Academy Style = iota // an e-commerce training group
	Owners               // a residential owners' group
)

// GroupSpec describes one simulated group.
type GroupSpec struct {
	ID       string // platform group id
	Name     string
	Branch   string // the branch (county) it belongs to, for the demo's tree
	Kind     string // lecturer, topic, enrolment, cohort, allhands, owners
	Style    Style
	Members  int     // members at the start
	Capacity int     // member cap (500 when 0)
	Liveness float64 // 1 is a lively group; 0.05 a dying one
	// NicknameRule: members are expected to be named building-unit-room
	// name (5-1-3305 吕凯); some newcomers are not.
	NicknameRule bool
}

// Scenario is a set of groups.
type Scenario struct {
	Seed   int64
	Groups []GroupSpec
}

// DemoScenario is the demo community: an e-commerce academy's groups in
// three county branches, created in the seed's order (lecturer group,
// topic groups, enrolment consultation, one group per cohort, all-hands),
// plus a 500-seat residential owners' group.
func DemoScenario() Scenario {
	g := func(id, name, branch, kind string, members int, live float64) GroupSpec {
		return GroupSpec{ID: id, Name: name, Branch: branch, Kind: kind, Style: Academy, Members: members, Liveness: live}
	}
	return Scenario{Seed: 20261125, Groups: []GroupSpec{
		g("nf-lecturers", "NF-大别山网商学院讲师群", "", "lecturer", 24, 0.8),
		g("nf-topic-live", "NF-直播带货课题群", "", "topic", 186, 0.9),
		g("nf-topic-rural", "NF-农村电商课题群", "", "topic", 143, 0.6),
		g("nf-enrol", "NF-网商学院报名咨询群", "", "enrolment", 312, 0.7),
		g("nf-yx-6", "NF-阳新第6期微营销培训群", "阳新", "cohort", 268, 1.0),
		g("nf-yx-2-taobao", "NF-阳新第二期淘宝运营培训群", "阳新", "cohort", 197, 0.5),
		g("nf-yx-2018", "NF-阳新2018电子商务培训群", "阳新", "cohort", 233, 0.3),
		g("nf-yx-toutiao", "NF-阳新2018今日头条电商培训群", "阳新", "cohort", 121, 0.25),
		g("nf-yx-youth", "NF-阳新团县委电商培训群", "阳新", "cohort", 88, 0.4),
		g("nf-yx-migrants", "NF-阳新水库移民电商创业培训群", "阳新", "cohort", 156, 0.6),
		g("nf-yx-stars", "NF-🏆阳新电商优秀学员交流群", "阳新", "allhands", 64, 0.9),
		g("nf-hm-2017", "NF-2017黄梅电商大讲堂", "黄梅", "cohort", 245, 0.2),
		g("nf-hm-dahe", "NF-2017黄梅电商大讲堂—大河站", "黄梅", "cohort", 98, 0.05),
		g("nf-hz-2015-4", "NF-黄州区2015年第四期电商培训", "黄州", "cohort", 175, 0.0),
		g("nf-hz-11", "NF-2018年黄州11期电商特训营", "黄州", "cohort", 204, 0.7),
		g("nf-dbs-2017-1", "NF-大别山网商学院2017第一期", "", "cohort", 311, 0.15),
		g("nf-all", "NF-大别山网商学院学员大群", "", "allhands", 476, 0.8),
		{ID: "wanjing-owners", Name: "万景城业主交流群", Kind: "owners", Style: Owners, Members: 462, Capacity: 500, Liveness: 1.2, NicknameRule: true},
	}}
}
