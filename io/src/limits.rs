//! Caps on what a reader may allocate, so a malformed or malicious file
//! cannot exhaust memory: per-array [`Limits`] and the process-wide
//! [`MemoryBudget`] every big buffer is checked against before it is
//! allocated.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Size limits for readers.
///
/// Readers never trust a header alone: an array's declared size must also
/// fit in the bytes that are physically there (the rest of the buffer or
/// file, a stored member's size, or 1032 × a deflated member's compressed
/// size, the most deflate can expand), below `max_array_bytes`, and within
/// the memory budget (`memory`), all checked before allocating.
///
/// ```
/// let limits = cellmap_io::Limits { max_array_bytes: 1 << 20, ..Default::default() };
/// assert_eq!(limits.max_records, cellmap_io::Limits::default().max_records);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded array (`.npy`, `.npz` member, image), in bytes.
    /// Default: 16 GiB on 64-bit targets, 1 GiB on 32-bit ones (wasm32).
    pub max_array_bytes: u64,
    /// Largest number of records read from a transcript table.
    /// Default: 2^31 (≈ 24 GB of points + gene ids).
    pub max_records: u64,
    /// The memory budget decoded data must fit in (with what the process
    /// already uses, when a usage probe is registered).
    /// Default: [`MemoryBudget::global`].
    pub memory: MemoryBudget,
}

impl Default for Limits {
    fn default() -> Self {
        let max_array_bytes = if cfg!(target_pointer_width = "64") { 16 << 30 } else { 1 << 30 };
        Self { max_array_bytes, max_records: 1 << 31, memory: MemoryBudget::global() }
    }
}

/// How much memory the big buffers of a run may take: a data set whose
/// working set (decoded arrays, label images, tables, maps) does not fit is
/// refused before anything is allocated, with a one-line message giving the
/// size (`counts table of 4,097 cells × 2,000,000 genes needs 32.8 GB, over
/// the memory budget of 11.5 GB (--max-memory)`).
///
/// One budget per process ([`global`](Self::global)), set once by a front
/// end ([`set_global`](Self::set_global)); by default half of the memory
/// available when it is first asked for (`MemAvailable` of `/proc/meminfo`
/// on Linux), 4 GiB on other 64-bit systems and 1 GiB on 32-bit targets
/// (wasm32). When a front end registers a usage probe
/// ([`set_usage_probe`](Self::set_usage_probe), e.g. a counting global
/// allocator), checks count the bytes already in use too, so a working set
/// built from several buffers is bounded as a whole.
///
/// ```
/// use cellmap_io::MemoryBudget;
/// let budget = MemoryBudget::new(1 << 30).with_hint("--max-memory");
/// assert!(budget.check(|| "a table".into(), 1 << 20).is_ok());
/// let e = budget.check(|| "counts table of 4,097 cells × 2,000,000 genes".into(), 32_776_000_000).unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "counts table of 4,097 cells × 2,000,000 genes needs 32.8 GB, over the memory budget of 1.07 GB (--max-memory)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    bytes: u64,
    hint: &'static str,
}

/// The global budget in bytes; 0 = not set yet.
static GLOBAL_BYTES: AtomicU64 = AtomicU64::new(0);
/// The hint a front end gave the global budget (e.g. `--max-memory`).
static GLOBAL_HINT: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
/// Bytes in use now, as the front end measures them (none by default).
static USAGE_PROBE: std::sync::OnceLock<fn() -> u64> = std::sync::OnceLock::new();

impl MemoryBudget {
    /// A budget of `bytes` (at least 1).
    pub const fn new(bytes: u64) -> Self {
        Self { bytes: if bytes == 0 { 1 } else { bytes }, hint: "" }
    }

    /// The same budget; messages name `hint` as the way to change it
    /// (e.g. `"--max-memory"`).
    pub const fn with_hint(self, hint: &'static str) -> Self {
        Self { hint, ..self }
    }

    /// The budget in bytes.
    pub const fn bytes(self) -> u64 {
        self.bytes
    }

    /// The default budget for this machine: half of `MemAvailable` on
    /// Linux (at least 256 MiB), 4 GiB on other 64-bit targets, 1 GiB on
    /// 32-bit ones.
    pub fn machine_default() -> Self {
        let fixed = if cfg!(target_pointer_width = "64") { 4 << 30 } else { 1 << 30 };
        Self::new(available_memory().map_or(fixed, |available| (available / 2).max(256 << 20)))
    }

    /// The process-wide budget: the one [`set_global`](Self::set_global)
    /// set, else [`machine_default`](Self::machine_default) (measured once).
    pub fn global() -> Self {
        let mut bytes = GLOBAL_BYTES.load(Ordering::Relaxed);
        if bytes == 0 {
            bytes = Self::machine_default().bytes;
            // Another thread may have set it meanwhile: keep theirs.
            bytes = match GLOBAL_BYTES.compare_exchange(0, bytes, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => bytes,
                Err(current) => current,
            };
        }
        Self { bytes, hint: GLOBAL_HINT.get().copied().unwrap_or("") }
    }

    /// Makes `self` the process-wide budget (call it once, at start-up,
    /// before readers run).
    pub fn set_global(self) {
        GLOBAL_BYTES.store(self.bytes, Ordering::Relaxed);
        if !self.hint.is_empty() {
            let _ = GLOBAL_HINT.set(self.hint);
        }
    }

    /// Registers `probe`, the bytes the process has allocated now (a front
    /// end with a counting global allocator); checks then refuse what would
    /// take the total over the budget. Only the first registration counts.
    pub fn set_usage_probe(probe: fn() -> u64) {
        let _ = USAGE_PROBE.set(probe);
    }

    /// Bytes in use now according to the registered probe (0 without one).
    pub fn in_use() -> u64 {
        USAGE_PROBE.get().map_or(0, |probe| probe())
    }

    /// `Ok` if `needed` more bytes fit in the budget (with what is in use),
    /// else an [`OverBudget`] naming `what` (built only on failure).
    pub fn check(self, what: impl FnOnce() -> String, needed: u128) -> Result<(), OverBudget> {
        let in_use = u128::from(Self::in_use());
        if needed.saturating_add(in_use) <= u128::from(self.bytes) {
            Ok(())
        } else {
            Err(OverBudget { what: what(), needed, in_use: in_use as u64, budget: self })
        }
    }

    /// [`check`](Self::check) for `count` elements of `size` bytes each
    /// (computed without overflow).
    pub fn check_elements(
        self,
        what: impl FnOnce() -> String,
        count: u128,
        size: usize,
    ) -> Result<(), OverBudget> {
        self.check(what, count.saturating_mul(size as u128))
    }
}

impl fmt::Display for MemoryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(u128::from(self.bytes)))
    }
}

/// A working set refused by a [`MemoryBudget`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverBudget {
    /// What would have been allocated (`"counts table of 4,097 cells × 2,000,000 genes"`).
    pub what: String,
    /// Bytes it needs.
    pub needed: u128,
    /// Bytes the process already used (0 without a usage probe).
    pub in_use: u64,
    /// The budget.
    pub budget: MemoryBudget,
}

impl fmt::Display for OverBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} needs {}, over the memory budget of {}",
            self.what,
            format_bytes(self.needed),
            self.budget
        )?;
        // Only when it matters: what is already used makes it not fit.
        if self.in_use > 0 && self.needed <= u128::from(self.budget.bytes) {
            write!(f, " with {} already in use", format_bytes(u128::from(self.in_use)))?;
        }
        if !self.budget.hint.is_empty() {
            write!(f, " ({})", self.budget.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for OverBudget {}

/// A byte count in decimal units, 3 significant digits:
/// `32_776_000_000` → `"32.8 GB"`, `512` → `"512 bytes"`.
///
/// ```
/// use cellmap_io::limits::format_bytes;
/// assert_eq!(format_bytes(32_776_000_000), "32.8 GB");
/// assert_eq!(format_bytes(1_500_000), "1.5 MB");
/// assert_eq!(format_bytes(999), "999 bytes");
/// assert_eq!(format_bytes(1_008), "1.01 kB");
/// assert_eq!(format_bytes(1 << 64), "18446744 TB");
/// ```
pub fn format_bytes(bytes: u128) -> String {
    const UNITS: [(&str, f64); 4] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    let b = bytes as f64;
    let Some((unit, scale)) = UNITS.into_iter().find(|&(_, scale)| b >= scale) else {
        return format!("{bytes} bytes");
    };
    let v = b / scale;
    let decimals = if v < 10.0 {
        2
    } else if v < 100.0 {
        1
    } else {
        0
    };
    let mut text = format!("{v:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{text} {unit}")
}

/// Parses a memory size with an optional unit: `"8G"`, `"512M"`, `"1.5GB"`,
/// `"2GiB"`, `"1000000"` (bytes). `K`, `M`, `G`, `T` are powers of 1024
/// (as `ulimit` and `docker --memory` read them); `kB`, `MB`, `GB`, `TB`
/// powers of 1000; `KiB`… powers of 1024.
///
/// ```
/// use cellmap_io::limits::parse_size;
/// assert_eq!(parse_size("8G"), Ok(8 << 30));
/// assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
/// assert_eq!(parse_size("512MiB"), Ok(512 << 20));
/// assert_eq!(parse_size("4096"), Ok(4096));
/// assert!(parse_size("lots").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => {
            return Err(format!("unknown unit `{other}` in `{text}` (use e.g. 512M, 8G, 1.5GB or bytes)"));
        }
    };
    let value: f64 =
        number.parse().map_err(|_| format!("`{text}` is not a size (use e.g. 512M, 8G, 1.5GB)"))?;
    let bytes = (value * scale).round();
    if !(bytes >= 1.0 && bytes < u64::MAX as f64) {
        return Err(format!("`{text}` is not a usable memory size"));
    }
    Ok(bytes as u64)
}

/// The memory this process can have, in bytes: `MemAvailable` of
/// `/proc/meminfo`, or less under a cgroup limit (`memory.max`) or an
/// address-space limit (`ulimit -v`).
#[cfg(target_os = "linux")]
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut available = kib.checked_mul(1024)?;
    if let Some(max) =
        std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok().and_then(|t| t.trim().parse::<u64>().ok())
    {
        available = available.min(max);
    }
    // "Max address space   unlimited   unlimited   bytes" (soft limit first).
    if let Some(limit) = std::fs::read_to_string("/proc/self/limits").ok().and_then(|t| {
        let line = t.lines().find(|l| l.starts_with("Max address space"))?;
        line["Max address space".len()..].split_whitespace().next()?.parse::<u64>().ok()
    }) {
        available = available.min(limit);
    }
    Some(available)
}

#[cfg(not(target_os = "linux"))]
fn available_memory() -> Option<u64> {
    None
}

/// `[1, 2, 3, …]` lists in messages: at most `max` items, then `…` and the
/// total, so a message stays one short line whatever the input.
///
/// ```
/// use cellmap_io::limits::capped_list;
/// assert_eq!(capped_list([1, 2, 3], 8), "1, 2, 3");
/// assert_eq!(capped_list(0..100, 3), "0, 1, 2, … (100 in all)");
/// ```
pub fn capped_list<T: fmt::Display>(items: impl IntoIterator<Item = T>, max: usize) -> String {
    let mut out = String::new();
    let mut total = 0usize;
    for item in items {
        if total < max {
            if total > 0 {
                out.push_str(", ");
            }
            let text = item.to_string();
            // One item is capped too (a 1 MB column name).
            match text.char_indices().nth(64) {
                Some((end, _)) => {
                    out.push_str(&text[..end]);
                    out.push('…');
                }
                None => out.push_str(&text),
            }
        }
        total += 1;
    }
    if total > max {
        out.push_str(&format!(", … ({total} in all)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_format_and_parse() {
        assert_eq!(format_bytes(0), "0 bytes");
        assert_eq!(format_bytes(11_500_000_000), "11.5 GB");
        assert_eq!(format_bytes(4_000_000_000), "4 GB");
        assert_eq!(format_bytes(999_600), "1000 kB");
        assert_eq!(parse_size(" 2g "), Ok(2 << 30));
        assert_eq!(parse_size("100kB"), Ok(100_000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("8X").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn checks_do_not_overflow() {
        let budget = MemoryBudget::new(1000);
        assert!(budget.check_elements(|| "x".into(), u128::MAX, 8).is_err());
        assert!(budget.check_elements(|| "x".into(), 125, 8).is_ok());
        let e = budget.check_elements(|| "x".into(), 126, 8).unwrap_err();
        assert_eq!(e.to_string(), "x needs 1.01 kB, over the memory budget of 1 kB");
    }

    #[test]
    fn the_machine_default_is_sane() {
        let b = MemoryBudget::machine_default().bytes();
        assert!(b >= 256 << 20, "{b}");
    }
}
