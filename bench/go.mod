module github.com/qunzhu/qunzhu/bench

go 1.26.8

replace github.com/qunzhu/qunzhu => ../

require (
	github.com/BobuSumisu/aho-corasick v1.0.3
	github.com/anknown/ahocorasick v0.0.0-20190904063843-d75dbd5169c0
	github.com/cloudflare/ahocorasick v0.0.0-20240916140611-054963ec9396
	github.com/qunzhu/qunzhu v0.0.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/anknown/darts v0.0.0-20151216065714-83ff685239e6 // indirect
	golang.org/x/text v0.44.0 // indirect
)
