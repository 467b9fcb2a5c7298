module mongoauth.invalid/interop/ferretdb

go 1.22

require github.com/mongoauth/mongoauth/bindings/go v0.0.0

replace github.com/mongoauth/mongoauth/bindings/go => ../../bindings/go
