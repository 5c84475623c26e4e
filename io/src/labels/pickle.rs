//! Cellpose `*_seg.npy`: an `.npy` file of a 0-d object array (`descr
//! '|O'`, shape `()`) whose data is a pickle of a dict; its `masks` entry is
//! the label image.
//!
//! The pickle is *interpreted*, never executed: a small stack machine knows
//! the opcodes of protocols 2–5 that numpy's `np.save(..., allow_pickle=True)`
//! writes for dicts, lists, strings, numbers and ndarrays, and the only
//! globals it accepts are numpy's array and dtype reconstructors
//! (`numpy[._]core.multiarray._reconstruct`, `numpy.ndarray`, `numpy.dtype`,
//! `numpy[._]core.multiarray.scalar`, `numpy[._]core.numeric._frombuffer`)
//! and `_codecs.encode(text, 'latin1')` (bytes in protocol 2).
//! Anything else is refused with a message naming the global. Every object
//! comes from at least one input byte, so memory stays within a small
//! multiple of the file.

use crate::error::{Error, ErrorKind};
use crate::limits::Limits;
use crate::npy::{self, Array, Header};

/// An object built by the pickle.
#[derive(Debug, Clone)]
enum Obj {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<usize>),
    List(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Global(Known),
    /// `numpy.dtype(code)`, with the byte order its state sets.
    Dtype {
        code: String,
        order: Option<char>,
    },
    /// An ndarray: `(shape, dtype id, fortran, data id)` once built.
    Array {
        shape: Vec<usize>,
        dtype: Option<usize>,
        fortran: bool,
        data: Option<usize>,
    },
    /// A numpy scalar or anything else the reader does not look into.
    Opaque,
}

/// The globals a label pickle may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Reconstruct,
    Ndarray,
    Dtype,
    Scalar,
    FromBuffer,
    /// `_codecs.encode(text, 'latin1')`: how protocol 2 spells bytes.
    Encode,
}

impl Known {
    fn find(module: &str, name: &str) -> Option<Self> {
        let core = matches!(module, "numpy.core.multiarray" | "numpy._core.multiarray");
        let numeric = matches!(module, "numpy.core.numeric" | "numpy._core.numeric");
        Some(match (module, name) {
            (_, "_reconstruct") if core => Known::Reconstruct,
            (_, "scalar") if core => Known::Scalar,
            (_, "_frombuffer") if numeric => Known::FromBuffer,
            ("numpy", "ndarray") => Known::Ndarray,
            ("numpy", "dtype") => Known::Dtype,
            ("_codecs", "encode") => Known::Encode,
            _ => return None,
        })
    }
}

/// `true` for an `.npy` file whose header declares an object array (`'|O'`),
/// i.e. a pickle follows (Cellpose `_seg.npy`).
pub fn is_pickled_npy(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 10 {
        return false;
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => {
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        _ => return false,
    };
    let header = &bytes[start..bytes.len().min(start.saturating_add(len))];
    header.windows(4).any(|w| w == b"'|O'")
}

/// Reads the `masks` array of a Cellpose `_seg.npy` file's bytes.
#[cfg(not(feature = "seg-npy"))]
pub fn read_seg_npy(_bytes: &[u8], source: &str, _limits: &Limits) -> Result<Array, Error> {
    Err(Error::new(
        source,
        ErrorKind::Header(
            "a pickled .npy (Cellpose _seg.npy): read by the cellmap CLI, not by this build \
             (cellmap-io feature seg-npy); save its masks as a PNG or .npy"
                .into(),
        ),
    ))
}

/// Reads the `masks` array of a Cellpose `_seg.npy` file's bytes.
#[cfg(feature = "seg-npy")]
pub fn read_seg_npy(bytes: &[u8], source: &str, limits: &Limits) -> Result<Array, Error> {
    let bad = |why: String| Error::new(source, ErrorKind::Header(why));
    let start = pickle_start(bytes).ok_or_else(|| bad("not an .npy file of a pickled object".into()))?;
    // One object per opcode at most, each a few words: bound them by the budget first.
    let objects = (bytes.len() - start) as u128 * size_of::<Obj>() as u128;
    limits
        .memory
        .check(
            || format!("{source}: reading a pickle of {} bytes", bytes.len() - start),
            objects + bytes.len() as u128,
        )
        .map_err(|e| Error::new(source, ErrorKind::OverBudget(Box::new(e))))?;
    let mut machine = Machine {
        input: &bytes[start..],
        pos: 0,
        objs: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: Vec::new(),
    };
    let top = machine.run().map_err(|why| bad(format!("Cellpose _seg.npy pickle: {why}")))?;
    let masks = machine.find_masks(top).ok_or_else(|| {
        bad("Cellpose _seg.npy: the pickled object is not a dict with a 'masks' array".into())
    })?;
    machine.array(masks, source, limits)
}

fn pickle_start(bytes: &[u8]) -> Option<usize> {
    if !is_pickled_npy(bytes) {
        return None;
    }
    match bytes[6] {
        1 => Some(10 + usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        _ => Some(
            12usize.checked_add(u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize)?,
        ),
    }
    .filter(|&s| s <= bytes.len())
}

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    objs: Vec<Obj>,
    stack: Vec<usize>,
    marks: Vec<usize>,
    memo: Vec<Option<usize>>,
}

type Step<T> = Result<T, String>;

impl<'a> Machine<'a> {
    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.input.len()).ok_or_else(|| {
            format!(
                "truncated: needs {n} more bytes at offset {}, the pickle has {}",
                self.pos,
                self.input.len()
            )
        })?;
        let out = &self.input[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Step<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Step<usize> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_le_bytes([b[0], b[1]])))
    }
    fn u32(&mut self) -> Step<usize> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn u64(&mut self) -> Step<usize> {
        let b = self.take(8)?;
        usize::try_from(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .map_err(|_| "length overflows".into())
    }
    fn line(&mut self) -> Step<String> {
        let rest = &self.input[self.pos..];
        let end = rest.iter().position(|&b| b == b'\n').ok_or("truncated: a GLOBAL line has no end")?;
        self.pos += end + 1;
        Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
    }
    fn push(&mut self, obj: Obj) {
        self.objs.push(obj);
        self.stack.push(self.objs.len() - 1);
    }
    fn pop(&mut self) -> Step<usize> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err("malformed: pops past a MARK".into());
        }
        self.stack.pop().ok_or_else(|| "malformed: pops an empty stack".into())
    }
    fn top(&self) -> Step<usize> {
        self.stack.last().copied().ok_or_else(|| "malformed: empty stack".into())
    }
    fn pop_mark(&mut self) -> Step<Vec<usize>> {
        let mark = self.marks.pop().ok_or("malformed: no MARK")?;
        if mark > self.stack.len() {
            return Err("malformed: MARK past the stack".into());
        }
        Ok(self.stack.split_off(mark))
    }
    fn put(&mut self, index: usize) -> Step<()> {
        let id = self.top()?;
        if index > self.input.len() {
            return Err(format!("memo index {index} is out of range"));
        }
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(id);
        Ok(())
    }
    fn get(&mut self, index: usize) -> Step<()> {
        let id = self
            .memo
            .get(index)
            .copied()
            .flatten()
            .ok_or_else(|| format!("memo index {index} was never set"))?;
        self.stack.push(id);
        Ok(())
    }
    fn str_of(&self, id: usize) -> Option<&str> {
        match &self.objs[id] {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }
    fn string(&mut self, len: usize) -> Step<()> {
        let bytes = self.take(len)?;
        let s = std::str::from_utf8(bytes).map_err(|_| "a string is not UTF-8")?.to_string();
        self.push(Obj::Str(s));
        Ok(())
    }
    fn bytes(&mut self, len: usize) -> Step<()> {
        let bytes = self.take(len)?.to_vec();
        self.push(Obj::Bytes(bytes));
        Ok(())
    }
    fn global(&mut self, module: &str, name: &str) -> Step<()> {
        let known = Known::find(module, name).ok_or_else(|| {
            format!("refuses the global {module}.{name} (only numpy arrays, dtypes and plain Python values are read)")
        })?;
        self.push(Obj::Global(known));
        Ok(())
    }

    /// Runs to STOP; the id of the result.
    fn run(&mut self) -> Step<usize> {
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    let proto = self.u8()?;
                    if !(2..=5).contains(&proto) {
                        return Err(format!("pickle protocol {proto} is not supported (2 to 5 are)"));
                    }
                }
                0x95 => {
                    self.u64()?;
                }
                b'.' => return self.pop(),
                b'(' => self.marks.push(self.stack.len()),
                b'N' => self.push(Obj::None),
                0x88 => self.push(Obj::Bool(true)),
                0x89 => self.push(Obj::Bool(false)),
                b'K' => {
                    let v = self.u8()?;
                    self.push(Obj::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(Obj::Int(v as i64));
                }
                b'J' => {
                    let b = self.take(4)?;
                    self.push(Obj::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))));
                }
                0x8a => {
                    let n = usize::from(self.u8()?);
                    let b = self.take(n)?;
                    if n > 8 {
                        self.push(Obj::Opaque);
                    } else {
                        let negative = b.last().is_some_and(|&x| x & 0x80 != 0);
                        let mut le = [if negative { 0xff } else { 0 }; 8];
                        le[..n].copy_from_slice(b);
                        self.push(Obj::Int(i64::from_le_bytes(le)));
                    }
                }
                b'G' => {
                    self.take(8)?; // a float: never needed for the masks
                    self.push(Obj::Opaque);
                }
                0x8c => {
                    let n = usize::from(self.u8()?);
                    self.string(n)?;
                }
                b'X' => {
                    let n = self.u32()?;
                    self.string(n)?;
                }
                0x8d => {
                    let n = self.u64()?;
                    self.string(n)?;
                }
                b'C' | b'U' => {
                    let n = usize::from(self.u8()?);
                    self.bytes(n)?;
                }
                b'B' | b'T' => {
                    let n = self.u32()?;
                    self.bytes(n)?;
                }
                0x8e | 0x96 => {
                    let n = self.u64()?;
                    self.bytes(n)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.global(&module, &name)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Some(module), Some(name)) = (self.str_of(module), self.str_of(name)) else {
                        return Err("malformed: STACK_GLOBAL of non-strings".into());
                    };
                    let (module, name) = (module.to_string(), name.to_string());
                    self.global(&module, &name)?;
                }
                0x94 => {
                    let n = self.memo.len();
                    self.put(n)?;
                }
                b'q' => {
                    let i = usize::from(self.u8()?);
                    self.put(i)?;
                }
                b'r' => {
                    let i = self.u32()?;
                    self.put(i)?;
                }
                b'h' => {
                    let i = usize::from(self.u8()?);
                    self.get(i)?;
                }
                b'j' => {
                    let i = self.u32()?;
                    self.get(i)?;
                }
                b')' => self.push(Obj::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(Obj::Tuple(items));
                }
                b']' => self.push(Obj::List(Vec::new())),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::List(items));
                }
                b'}' => self.push(Obj::Dict(Vec::new())),
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = items.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                    self.push(Obj::Dict(pairs));
                }
                b'a' => {
                    let item = self.pop()?;
                    let list = self.top()?;
                    match &mut self.objs[list] {
                        Obj::List(items) => items.push(item),
                        _ => return Err("malformed: APPEND to a non-list".into()),
                    }
                }
                b'e' => {
                    let new = self.pop_mark()?;
                    let list = self.top()?;
                    match &mut self.objs[list] {
                        Obj::List(items) => items.extend(new),
                        _ => return Err("malformed: APPENDS to a non-list".into()),
                    }
                }
                b's' | b'u' => {
                    let new = if op == b's' {
                        let value = self.pop()?;
                        let key = self.pop()?;
                        vec![key, value]
                    } else {
                        self.pop_mark()?
                    };
                    let dict = self.top()?;
                    match &mut self.objs[dict] {
                        Obj::Dict(pairs) => pairs.extend(new.chunks_exact(2).map(|p| (p[0], p[1]))),
                        _ => return Err("malformed: SETITEM on a non-dict".into()),
                    }
                }
                0x8f => self.push(Obj::Opaque),
                0x90 => {
                    self.pop_mark()?;
                }
                0x91 => {
                    self.pop_mark()?;
                    self.push(Obj::Opaque);
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let obj = self.reduce(callable, args)?;
                    self.push(obj);
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    match self.objs[class] {
                        Obj::Global(Known::Ndarray) => {
                            let _ = args;
                            self.push(Obj::Array {
                                shape: Vec::new(),
                                dtype: None,
                                fortran: false,
                                data: None,
                            });
                        }
                        _ => return Err("NEWOBJ of something other than numpy.ndarray".into()),
                    }
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?;
                    self.build(target, state)?;
                }
                other => {
                    return Err(format!(
                        "unsupported pickle opcode 0x{other:02x} at offset {}",
                        self.pos - 1
                    ));
                }
            }
        }
    }

    fn tuple(&self, id: usize) -> Option<&[usize]> {
        match &self.objs[id] {
            Obj::Tuple(items) => Some(items),
            _ => None,
        }
    }

    fn shape(&self, id: usize) -> Step<Vec<usize>> {
        let items = self.tuple(id).ok_or("an array shape is not a tuple")?;
        items
            .iter()
            .map(|&i| match self.objs[i] {
                Obj::Int(n) => usize::try_from(n).map_err(|_| format!("negative dimension {n}")),
                _ => Err("an array dimension is not an integer".into()),
            })
            .collect()
    }

    fn reduce(&mut self, callable: usize, args: usize) -> Step<Obj> {
        let Obj::Global(known) = self.objs[callable] else {
            return Err("REDUCE of something that is not an allowed global".into());
        };
        let args = self.tuple(args).ok_or("REDUCE arguments are not a tuple")?.to_vec();
        Ok(match known {
            Known::Reconstruct => Obj::Array { shape: Vec::new(), dtype: None, fortran: false, data: None },
            Known::Dtype => {
                let code =
                    args.first().and_then(|&a| self.str_of(a)).ok_or("numpy.dtype without a type code")?;
                Obj::Dtype { code: code.to_string(), order: None }
            }
            Known::Scalar => Obj::Opaque,
            Known::FromBuffer => {
                // _frombuffer(buffer, dtype, shape, order)
                let [data, dtype, shape, order] = args[..] else {
                    return Err("numpy _frombuffer takes 4 arguments".into());
                };
                let fortran = self.str_of(order) == Some("F");
                Obj::Array { shape: self.shape(shape)?, dtype: Some(dtype), fortran, data: Some(data) }
            }
            Known::Encode => {
                let text =
                    args.first().and_then(|&a| self.str_of(a)).ok_or("_codecs.encode of a non-string")?;
                match args.get(1).and_then(|&e| self.str_of(e)) {
                    Some("latin1" | "latin-1") => {}
                    other => return Err(format!("_codecs.encode to {other:?} (only latin1 is read)")),
                }
                let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
                Obj::Bytes(bytes.ok_or("_codecs.encode of a non-latin1 string")?)
            }
            Known::Ndarray => return Err("numpy.ndarray called directly".into()),
        })
    }

    fn build(&mut self, target: usize, state: usize) -> Step<()> {
        match self.objs[target] {
            Obj::Dtype { .. } => {
                // (version, byteorder, ...)
                let order = self
                    .tuple(state)
                    .and_then(|s| s.get(1))
                    .and_then(|&o| self.str_of(o))
                    .and_then(|o| o.chars().next());
                if let Obj::Dtype { order: slot, .. } = &mut self.objs[target] {
                    *slot = order;
                }
            }
            Obj::Array { .. } => {
                // (version, shape, dtype, is_fortran, data)
                let items = self.tuple(state).ok_or("ndarray state is not a tuple")?.to_vec();
                let [_, shape, dtype, fortran, data] = items[..] else {
                    return Err("ndarray state is not (version, shape, dtype, fortran, data)".into());
                };
                let shape = self.shape(shape)?;
                let fortran = matches!(self.objs[fortran], Obj::Bool(true) | Obj::Int(1));
                self.objs[target] = Obj::Array { shape, dtype: Some(dtype), fortran, data: Some(data) };
            }
            Obj::Opaque => {}
            _ => return Err("BUILD of an object that is not a numpy array or dtype".into()),
        }
        Ok(())
    }

    /// The `masks` array: in the top dict, or the dict inside a 0-d object array.
    fn find_masks(&self, top: usize) -> Option<usize> {
        let dict = match &self.objs[top] {
            Obj::Dict(_) => top,
            Obj::Array { data: Some(data), .. } => match &self.objs[*data] {
                Obj::List(items) if items.len() == 1 => items[0],
                _ => return None,
            },
            _ => return None,
        };
        let Obj::Dict(pairs) = &self.objs[dict] else { return None };
        pairs.iter().rev().find(|&&(k, _)| self.str_of(k) == Some("masks")).map(|&(_, v)| v)
    }

    /// Decodes array object `id` with the `.npy` data reader (byte order,
    /// Fortran order, limits).
    fn array(&self, id: usize, source: &str, limits: &Limits) -> Result<Array, Error> {
        let bad =
            |why: &str| Error::new(source, ErrorKind::Header(format!("Cellpose _seg.npy: 'masks' {why}")));
        let Obj::Array { shape, dtype: Some(dtype), fortran, data: Some(data) } = &self.objs[id] else {
            return Err(bad("is not a numpy array"));
        };
        let Obj::Dtype { code, order } = &self.objs[*dtype] else { return Err(bad("has no dtype")) };
        let Obj::Bytes(bytes) = &self.objs[*data] else {
            return Err(bad("is not an array of numbers (an object array?)"));
        };
        let descr = format!("{}{code}", order.unwrap_or('|'));
        let (dtype, big_endian) = npy::parse_descr(&descr).map_err(|e| Error::new(source, e))?;
        let header =
            Header { dtype, big_endian, fortran_order: *fortran, shape: shape.clone(), data_offset: 0 };
        let mut reader: &[u8] = bytes;
        npy::read_data(&mut reader, &header, bytes.len() as u64, source, limits)
    }
}
