//! Fixed-size tiles whose buffers are arrays (for `static`s on microcontrollers).
