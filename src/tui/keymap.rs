//! Key maps: which keys do which action in each context.
