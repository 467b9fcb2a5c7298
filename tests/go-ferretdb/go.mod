module mongoauth.invalid/interop/ferretdb

go 1.22

require example.invalid/mongoauth/bindings/go v0.0.0

replace example.invalid/mongoauth/bindings/go => ../../bindings/go
