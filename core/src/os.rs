//! Operating-system conveniences for hosted builds (`std` feature): the core
//! itself never reads a random source, so these are what a hosted caller
//! hands it.

use crate::Error;

/// Fill `buf` from the OS's cryptographic random source (nonces, salts).
///
/// # Errors
/// [`Error::InvalidNonce`] if the OS cannot supply randomness.
pub fn fill_random(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|_| Error::InvalidNonce { rule: "the OS random source failed" })
}
