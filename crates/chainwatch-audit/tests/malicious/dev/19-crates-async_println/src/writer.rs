use std::io::{self, Write};

pub fn write_line(s: &str) {
    let stdout = io::stdout();
    let mut lock = stdout.lock();
    let _ = writeln!(lock, "{}", s);
}
