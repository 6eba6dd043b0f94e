//! Colour themes: named style slots.
