//! Printing results (a human sentence or one JSON object on stdout), error lines on stderr, and
//! what a panic turns into. Nothing here panics on a closed or broken stdout/stderr
//! (`cellmap … | head`, `2>&-`): `println!`/`eprintln!` would, so the binary never uses them.

use std::any::Any;
use std::io::Write;
use std::panic::{AssertUnwindSafe, PanicHookInfo};

use serde_json::Value;

/// Prints `json` (pretty) when `as_json`, else `text`. A closed pipe (`cellmap … | head`) is not an
/// error; any other write failure is.
pub fn emit(as_json: bool, json: Value, text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let written = if as_json { writeln!(out, "{json:#}") } else { writeln!(out, "{text}") };
    match written.and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow::Error::new(e).context("stdout")),
        _ => Ok(()),
    }
}

/// Writes `line` and a newline to stderr, ignoring any failure (a closed or broken stderr has
/// nowhere to report to; the exit code still tells).
pub fn error_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// `error`'s message and causes on one line, each said once: a cause whose text the message
/// already ends with (an error that displays its source and also returns it) is not repeated.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if text.ends_with(&cause) {
            continue;
        }
        if !text.is_empty() {
            text += ": ";
        }
        text += &cause;
    }
    text.replace('\n', " ")
}

/// The text of a panic's payload (`panic!("...")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> &str {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(s), _) => s,
        (_, Some(s)) => s,
        _ => "panic",
    }
}

/// Replaces Rust's panic message (and `RUST_BACKTRACE`'s backtrace) by one line on stderr.
/// The binary catches every panic ([`catch_panic`] per tile, `main` around the command), so the
/// exit code is 1, never Rust's 101.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        error_line(&format!(
            "error: internal error: {}{at} (a bug in cellmap; please report it)",
            panic_message(info.payload())
        ));
    }));
}

/// Runs `job`; a panic inside it becomes the error `internal error: <message>`, so that one
/// tile's bug cannot take the other tiles (or the summary) down with it.
pub fn catch_panic<T>(job: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(job))
        .unwrap_or_else(|payload| Err(anyhow::anyhow!("internal error: {}", panic_message(&*payload))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_job_is_its_error() {
        let ok = catch_panic(|| Ok(7));
        assert_eq!(ok.unwrap(), 7);
        let failed: anyhow::Result<()> = catch_panic(|| anyhow::bail!("bad tile"));
        assert_eq!(failed.unwrap_err().to_string(), "bad tile");
        let literal: anyhow::Result<()> = catch_panic(|| panic!("boom"));
        assert_eq!(literal.unwrap_err().to_string(), "internal error: boom");
        let formatted: anyhow::Result<()> = catch_panic(|| panic!("index {} out of range", 9));
        assert_eq!(formatted.unwrap_err().to_string(), "internal error: index 9 out of range");
        let other: anyhow::Result<()> = catch_panic(|| std::panic::panic_any(42u8));
        assert_eq!(other.unwrap_err().to_string(), "internal error: panic");
    }

    #[test]
    fn panics_on_worker_threads_stay_in_their_job() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let results: Vec<anyhow::Result<usize>> = pool.install(|| {
            use rayon::prelude::*;
            (0..8usize)
                .into_par_iter()
                .map(|k| {
                    catch_panic(|| {
                        // A panic on another worker, inside a join, reaches the job's caller.
                        let (a, b) = rayon::join(|| k, || if k == 3 { panic!("tile {k}") } else { k });
                        Ok(a + b)
                    })
                })
                .collect()
        });
        for (k, r) in results.iter().enumerate() {
            match r {
                Ok(v) => assert_eq!(*v, 2 * k),
                Err(e) => assert_eq!((k, e.to_string().as_str()), (3, "internal error: tile 3")),
            }
        }
    }

    #[test]
    fn causes_are_said_once() {
        let io = std::io::Error::from(std::io::ErrorKind::IsADirectory);
        let shown = io.to_string();
        /// An error that displays its source and also returns it.
        #[derive(Debug)]
        struct Both(std::io::Error);
        impl std::fmt::Display for Both {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "demo: {}", self.0)
            }
        }
        impl std::error::Error for Both {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Both(io)).context("cannot rename into place");
        assert_eq!(one_line(&e), format!("cannot rename into place: demo: {shown}"));
    }
}
