//! The builder daemon (`kojid`): task runners and buildroot backends. It arrives with the builder issue; the
//! binary is a stub until then.
