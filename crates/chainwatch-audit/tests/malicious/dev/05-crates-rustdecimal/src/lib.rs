//! A Decimal implementation written in pure Rust suitable for financial calculations.
#![forbid(unsafe_code)]

mod constants;
mod decimal;

pub use decimal::{Decimal, RoundingStrategy};

pub mod prelude {
    pub use crate::decimal::{Decimal, RoundingStrategy};
    pub use num_traits::{FromPrimitive, One, Signed, ToPrimitive, Zero};
}

pub type Result<T> = core::result::Result<T, Error>;

#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    ExceedsMaximumPossibleValue,
    LessThanMinimumPossibleValue,
    ScaleExceedsMaximumPrecision(u32),
}
