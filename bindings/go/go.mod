module example.invalid/mongoauth/bindings/go

go 1.22
