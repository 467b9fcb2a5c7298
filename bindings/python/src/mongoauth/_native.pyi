"""The compiled extension (cffi API mode, built by build_native.py): the C
library's functions as `lib.mongoauth_*` and its types through `ffi`."""

from typing import Any

import cffi

ffi: cffi.FFI
lib: Any
