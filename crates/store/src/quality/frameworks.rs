//! See the module list in `quality`.
