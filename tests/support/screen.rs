//! A Neovim as a person sees it: `nvim --embed` with a UI attached through msgpack-RPC
//! (`nvim_ui_attach`, `ext_linegrid`), its redraw events applied to a screen grid of cells.
//! Floating windows (hover) are drawn into the same grid, as in a terminal. Tests type keys
//! with [`Screen::input`], run Ex or Lua with [`Screen::command`] / [`Screen::lua`], and wait
//! for the screen to show something with [`Screen::wait_for`].

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rmpv::Value;

/// One screen cell: its text (one character, or empty after a double-width one) and
/// highlight id.
#[derive(Clone, Debug, Default)]
struct Cell {
    text: String,
    hl: u64,
}

/// A highlight's colours as the UI receives them (`hl_attr_define`, RGB).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attr {
    pub foreground: Option<u64>,
    pub background: Option<u64>,
    pub bold: bool,
    pub underline: bool,
    pub undercurl: bool,
}

#[derive(Default)]
struct Grid {
    rows: Vec<Vec<Cell>>,
    attrs: HashMap<u64, Attr>,
    default_fg: Option<u64>,
    /// Completed redraw batches (`flush`); waiters look again after each.
    flushes: u64,
    /// Requests Neovim sent us that we cannot answer, and other surprises.
    errors: Vec<String>,
}

impl Grid {
    fn resize(&mut self, w: usize, h: usize) {
        self.rows = vec![vec![Cell::default(); w]; h];
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let line: String = row.iter().map(|c| c.text.as_str()).collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    fn apply(&mut self, name: &str, args: &[Value]) {
        let int = |v: &Value| {
            v.as_u64()
                .or_else(|| v.as_i64().map(|i| i as u64))
                .unwrap_or(0)
        };
        match name {
            "grid_resize" => self.resize(int(&args[1]) as usize, int(&args[2]) as usize),
            "grid_clear" => {
                for row in &mut self.rows {
                    row.fill(Cell::default());
                }
            }
            "grid_line" => {
                let row = int(&args[1]) as usize;
                let mut col = int(&args[2]) as usize;
                let mut hl = 0;
                let Some(cells) = args[3].as_array() else {
                    return;
                };
                for cell in cells {
                    let Some(cell) = cell.as_array() else {
                        continue;
                    };
                    let text = cell
                        .first()
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    if let Some(h) = cell.get(1) {
                        hl = int(h);
                    }
                    let repeat = cell.get(2).map(int).unwrap_or(1);
                    for _ in 0..repeat {
                        if let Some(slot) = self.rows.get_mut(row).and_then(|r| r.get_mut(col)) {
                            *slot = Cell {
                                text: text.clone(),
                                hl,
                            };
                        }
                        col += 1;
                    }
                }
            }
            "grid_scroll" => {
                let (top, bot, left, right) = (
                    int(&args[1]) as usize,
                    int(&args[2]) as usize,
                    int(&args[3]) as usize,
                    int(&args[4]) as usize,
                );
                let rows = args[5].as_i64().unwrap_or(0);
                let copy = |g: &mut Grid, from: usize, to: usize| {
                    for c in left..right.min(g.rows[from].len()) {
                        g.rows[to][c] = g.rows[from][c].clone();
                    }
                };
                if rows > 0 {
                    for r in top..bot.saturating_sub(rows as usize) {
                        copy(self, r + rows as usize, r);
                    }
                } else if rows < 0 {
                    let n = (-rows) as usize;
                    for r in (top + n..bot).rev() {
                        copy(self, r - n, r);
                    }
                }
            }
            "hl_attr_define" => {
                let id = int(&args[0]);
                let mut attr = Attr::default();
                if let Some(map) = args[1].as_map() {
                    for (k, v) in map {
                        match k.as_str().unwrap_or("") {
                            "foreground" => attr.foreground = Some(int(v)),
                            "background" => attr.background = Some(int(v)),
                            "bold" => attr.bold = v.as_bool().unwrap_or(false),
                            "underline" => attr.underline = v.as_bool().unwrap_or(false),
                            "undercurl" => attr.undercurl = v.as_bool().unwrap_or(false),
                            _ => {}
                        }
                    }
                }
                self.attrs.insert(id, attr);
            }
            "default_colors_set" => self.default_fg = args.first().map(int),
            "flush" => self.flushes += 1,
            _ => {}
        }
    }
}

/// What the reader thread shares with the test.
struct Shared {
    grid: Mutex<Grid>,
    changed: Condvar,
}

/// A running `nvim --embed` with a UI of `width` × `height` cells attached.
pub struct Screen {
    child: Child,
    stdin: ChildStdin,
    shared: Arc<Shared>,
    responses: Receiver<(u64, Value, Value)>,
    next_id: u64,
}

const RPC_TIMEOUT: Duration = Duration::from_secs(30);

impl Screen {
    /// Starts `command` (an `nvim` with its arguments and environment, `--embed` is added) and
    /// attaches a UI of `width` × `height`.
    pub fn start(mut command: Command, width: u64, height: u64) -> Screen {
        command
            .arg("--embed")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = command.spawn().expect("Neovim starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let shared = Arc::new(Shared {
            grid: Mutex::new(Grid::default()),
            changed: Condvar::new(),
        });
        let (tx, responses) = channel();
        let reader_shared = shared.clone();
        std::thread::spawn(move || read_loop(BufReader::new(stdout), reader_shared, tx));
        let mut screen = Screen {
            child,
            stdin,
            shared,
            responses,
            next_id: 0,
        };
        let opts = vec![
            (Value::from("ext_linegrid"), Value::from(true)),
            (Value::from("rgb"), Value::from(true)),
        ];
        screen.request(
            "nvim_ui_attach",
            vec![Value::from(width), Value::from(height), Value::Map(opts)],
        );
        screen
    }

    /// Sends a request and waits for its answer; panics on an error answer.
    pub fn request(&mut self, method: &str, params: Vec<Value>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = Value::Array(vec![
            Value::from(0),
            Value::from(id),
            Value::from(method),
            Value::Array(params),
        ]);
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &msg).unwrap();
        self.stdin.write_all(&buf).unwrap();
        self.stdin.flush().unwrap();
        let deadline = Instant::now() + RPC_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.responses.recv_timeout(left) {
                Ok((got, err, result)) if got == id => {
                    if !err.is_nil() {
                        panic!("{method} failed: {err}\nscreen:\n{}", self.text());
                    }
                    return result;
                }
                Ok(_) => continue,
                Err(_) => panic!(
                    "Neovim did not answer {method} within {} s (a prompt waiting for a key?)\nscreen:\n{}",
                    RPC_TIMEOUT.as_secs(),
                    self.text()
                ),
            }
        }
    }

    /// Types keys as a person would (`nvim_input`, `<Esc>` notation).
    pub fn input(&mut self, keys: &str) {
        self.request("nvim_input", vec![Value::from(keys)]);
    }

    /// Runs an Ex command.
    pub fn command(&mut self, cmd: &str) {
        self.request("nvim_command", vec![Value::from(cmd)]);
    }

    /// Runs Lua and returns its result as JSON (tables go through `vim.json.encode`).
    pub fn lua(&mut self, code: &str) -> serde_json::Value {
        let wrapped = format!(
            "local r = (function(...) {code} end)(...)\nif r == nil then return 'null' end\nreturn vim.json.encode(r)"
        );
        let out = self.request(
            "nvim_exec_lua",
            vec![Value::from(wrapped.as_str()), Value::Array(vec![])],
        );
        serde_json::from_str(out.as_str().unwrap_or("null")).unwrap_or(serde_json::Value::Null)
    }

    /// The screen's text, one line per row, trailing blanks trimmed.
    pub fn text(&self) -> String {
        self.shared.grid.lock().unwrap().text()
    }

    /// Waits until `ready(screen text)` holds, redraw after redraw; panics with `what` and the
    /// screen after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, ready: impl Fn(&str) -> bool) -> String {
        self.try_wait_for(what, timeout, ready)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Screen::wait_for`], answering what went wrong instead of panicking.
    pub fn try_wait_for(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        let mut grid = self.shared.grid.lock().unwrap();
        loop {
            let text = grid.text();
            if ready(&text) {
                return Ok(text);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "the screen did not show {what} within {} s; it shows:\n{text}\n{}",
                    timeout.as_secs(),
                    grid.errors.join("\n")
                ));
            }
            grid = self
                .shared
                .changed
                .wait_timeout(grid, left.min(Duration::from_millis(200)))
                .unwrap()
                .0;
        }
    }

    /// The colours the screen draws the first occurrence of `needle` on a row containing
    /// `row_has` with, and those of plain text (the default foreground).
    pub fn attr_of(&self, row_has: &str, needle: &str) -> Option<(Attr, Option<u64>)> {
        let grid = self.shared.grid.lock().unwrap();
        for row in &grid.rows {
            let line: String = row.iter().map(|c| c.text.as_str()).collect();
            if !line.contains(row_has) {
                continue;
            }
            // Cells hold one character each (or nothing after a wide one).
            let mut col = 0;
            let mut starts = Vec::new();
            for c in row {
                starts.push(col);
                col += c.text.len();
            }
            let at = line.find(needle)?;
            let cell = starts.iter().position(|&s| s == at)?;
            let attr = grid.attrs.get(&row[cell].hl).cloned().unwrap_or_default();
            return Some((attr, grid.default_fg));
        }
        None
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_loop(mut stdout: impl std::io::Read, shared: Arc<Shared>, tx: Sender<(u64, Value, Value)>) {
    while let Ok(msg) = rmpv::decode::read_value(&mut stdout) {
        let Some(parts) = msg.as_array() else {
            continue;
        };
        match parts.first().and_then(Value::as_u64) {
            Some(1) if parts.len() == 4 => {
                let id = parts[1].as_u64().unwrap_or(0);
                let _ = tx.send((id, parts[2].clone(), parts[3].clone()));
            }
            Some(2) if parts.len() == 3 => {
                if parts[1].as_str() != Some("redraw") {
                    continue;
                }
                let mut grid = shared.grid.lock().unwrap();
                for event in parts[2].as_array().map(Vec::as_slice).unwrap_or_default() {
                    let Some(event) = event.as_array() else {
                        continue;
                    };
                    let name = event.first().and_then(Value::as_str).unwrap_or("");
                    for args in &event[1..] {
                        if let Some(args) = args.as_array() {
                            grid.apply(name, args);
                        }
                    }
                }
                drop(grid);
                shared.changed.notify_all();
            }
            Some(0) => {
                let mut grid = shared.grid.lock().unwrap();
                grid.errors.push(format!(
                    "Neovim sent a request the test cannot answer: {msg}"
                ));
            }
            _ => {}
        }
    }
}

/// Where a test's Neovim keeps its files: everything inside `sandbox`, nothing of the user's.
pub fn sandboxed(nvim: &Path, sandbox: &Path) -> Command {
    let dir = |name: &str| {
        let d = sandbox.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let runtime = dir("run");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let mut command = Command::new(nvim);
    for var in crate::AZURE_VARS.iter().chain(&[
        "VIM",
        "VIMRUNTIME",
        "VIMINIT",
        "MYVIMRC",
        "NVIM",
        "NVIM_APPNAME",
        "NVIM_LOG_FILE",
    ]) {
        command.env_remove(var);
    }
    command
        .env("HOME", dir("home"))
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_CONFIG_DIRS", dir("config-dirs"))
        .env("XDG_DATA_HOME", dir("data"))
        .env("XDG_DATA_DIRS", dir("data-dirs"))
        .env("XDG_STATE_HOME", dir("state"))
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_RUNTIME_DIR", &runtime);
    command
}
