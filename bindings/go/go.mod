module github.com/mongoauth/mongoauth/bindings/go

go 1.22
