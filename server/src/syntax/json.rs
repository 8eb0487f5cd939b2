//! A JSON parser that keeps the exact source range of every value.
