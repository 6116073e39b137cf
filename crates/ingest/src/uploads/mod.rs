//! Files officers and providers upload through the web pages, one module per area. Each parser
//! reads the whole file and returns typed rows or every problem with its row number (the header
//! is row 1), so the page can save all or nothing; the web handlers only call them.

pub mod capacity;
