//! Tags: their settings, inheritance and content.

pub mod inheritance;
