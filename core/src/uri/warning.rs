//! Warnings: problems the spec says to report and then ignore (an unknown
//! option, a bad value for a typed option, a repeated key, ...). The core
//! prints nothing; it hands each warning to a caller-supplied [`WarningSink`].

use core::fmt;

use super::options::OptionKey;
use super::pct::PctStr;

/// What kind of problem was ignored.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarningKind {
    /// The option name is not one this crate knows; the option was ignored.
    UnknownOption,
    /// The value is not valid for the option; the option was ignored.
    InvalidValue,
    /// The value is empty; the option was ignored.
    EmptyValue,
    /// The option was given more than once; the last valid value is used.
    RepeatedOption,
    /// The option is deprecated (it still works unless a replacement is given).
    DeprecatedOption,
    /// A deprecated option was ignored because its replacement was also given.
    DeprecatedOptionIgnored,
    /// An item of a `key:value` list had no `:` (or an empty key) and was
    /// skipped.
    MalformedListItem,
    /// A name in `authMechanismProperties` was repeated; the last one is used.
    RepeatedProperty,
    /// A `key:value` list item holds an encoded `,` (`%2C`). It is kept in
    /// the value (`TOKEN_RESOURCE:api%2Cv2` is `api,v2`), but other drivers
    /// split the list there after decoding (pymongo drops the option,
    /// libmongoc keeps `api`), and the spec says to warn: prefer passing
    /// such a value outside the URI.
    EncodedComma,
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnknownOption => "unknown option, ignored",
            Self::InvalidValue => "invalid value, option ignored",
            Self::EmptyValue => "empty value, option ignored",
            Self::RepeatedOption => "option repeated, the last valid value is used",
            Self::DeprecatedOption => "deprecated option",
            Self::DeprecatedOptionIgnored => {
                "deprecated option ignored because its replacement is given"
            }
            Self::MalformedListItem => "malformed key:value list item skipped",
            Self::RepeatedProperty => "mechanism property repeated, the last one is used",
            Self::EncodedComma => {
                "a key:value list value holds %2C: kept as `,` here, but other drivers split there"
            }
        })
    }
}

/// One ignored problem. Carries the option name as written and its offset,
/// never the value (values can be secrets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warning<'a> {
    /// What was ignored.
    pub kind: WarningKind,
    /// The option, when it is one this crate knows.
    pub key: Option<OptionKey>,
    /// The option name as written in the input (still percent-encoded).
    pub name: &'a str,
    /// Byte offset of the option (or list item) in the input.
    pub offset: usize,
}

impl<'a> Warning<'a> {
    pub(crate) fn new(
        kind: WarningKind,
        key: Option<OptionKey>,
        name: PctStr<'a>,
        offset: usize,
    ) -> Self {
        Warning { kind, key, name: name.encoded(), offset }
    }
}

impl fmt::Display for Warning<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(k) => {
                write!(f, "connection string option `{k}` at byte {}: {}", self.offset, self.kind)
            }
            None => write!(
                f,
                "connection string option `{}` at byte {}: {}",
                self.name.escape_debug(),
                self.offset,
                self.kind
            ),
        }
    }
}

/// Where warnings go. Implemented for `()` (discard), for closures
/// `FnMut(Warning)`, and for [`Warnings`] (a fixed-capacity list).
pub trait WarningSink<'a> {
    /// Receive one warning.
    fn warn(&mut self, warning: Warning<'a>);
}

impl<'a> WarningSink<'a> for () {
    fn warn(&mut self, _warning: Warning<'a>) {}
}

impl<'a, F: FnMut(Warning<'a>)> WarningSink<'a> for F {
    fn warn(&mut self, warning: Warning<'a>) {
        self(warning)
    }
}

/// A fixed-capacity warning list: keeps the first `N` warnings and counts the
/// rest, so nothing is silently lost.
#[derive(Clone, Debug, Default)]
pub struct Warnings<'a, const N: usize> {
    kept: heapless::Vec<Warning<'a>, N>,
    total: usize,
}

impl<'a, const N: usize> Warnings<'a, N> {
    /// An empty list.
    pub const fn new() -> Self {
        Warnings { kept: heapless::Vec::new(), total: 0 }
    }
    /// The warnings kept (at most `N`).
    pub fn as_slice(&self) -> &[Warning<'a>] {
        &self.kept
    }
    /// How many warnings were reported, including those not kept.
    pub const fn total(&self) -> usize {
        self.total
    }
    /// `true` if no warning was reported.
    pub const fn is_empty(&self) -> bool {
        self.total == 0
    }
    /// How many warnings did not fit.
    pub fn dropped(&self) -> usize {
        self.total - self.kept.len()
    }
}

impl<'a, const N: usize> WarningSink<'a> for Warnings<'a, N> {
    fn warn(&mut self, warning: Warning<'a>) {
        self.total = self.total.saturating_add(1);
        let _ = self.kept.push(warning);
    }
}
