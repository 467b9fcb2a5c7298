import pathlib
import sys

# In the checkout: the package from src/ (its compiled `_native` built in
# place, or $MONGOAUTH_LIB). A copy of the tests run elsewhere uses the
# installed wheel.
_src = pathlib.Path(__file__).resolve().parents[1] / "src"
if _src.is_dir():
    sys.path.insert(0, str(_src))
