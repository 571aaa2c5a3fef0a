//! The scenario file format: TOML, written and read with serde.
//!
//! ```toml
//! # Hazard A (S2): ->release queues the free of its own notifier while it is still linked.
//! [[notifier]]
//! name = "A"
//! mm = "mm0"
//! driver = "defer-free-while-linked"
//!
//! [[thread]]
//! name = "E"
//! ops = ["exit mm0"]
//!
//! [expect]            # optional: what `check --scenario-file` must observe (default: safe)
//! verdict = "violation"
//! kind = "use-after-free"
//! function = "__mmu_notifier_release"
//! site = "hlist_del_init_rcu"
//! kernels = ["v3.16"]  # optional: on other kernels the scenario is expected safe
//! ```
//!
//! A file is only text and names; [`super::validate`] turns it into a [`super::Scenario`] or
//! explains which rule a place in it breaks.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A scenario file, as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// The notifiers, in registration order.
    #[serde(rename = "notifier", default)]
    pub notifiers: Vec<NotifierDecl>,
    /// The threads and their operations.
    #[serde(rename = "thread", default)]
    pub threads: Vec<ThreadDecl>,
    /// What a check of this scenario must observe (absent: safe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<ExpectDecl>,
}

/// One `[[notifier]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierDecl {
    /// Its name (`A`); the trace calls it `notifier A`.
    pub name: String,
    /// The address space it is registered on: `mm0` or `mm1`.
    pub mm: String,
    /// The driver that owns it.
    pub driver: Driver,
}

/// One `[[thread]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadDecl {
    /// Its name in the trace (not `main`, `G`, `G0`, `G1`: those are the harness's).
    pub name: String,
    /// The CPU it runs on, 0 or 1 (default 0): its SRCU read-side counters and, with Tree
    /// SRCU's per-CPU callback lists (v5.4), the list its `call_srcu`s queue on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpu: usize,
    /// Its operations, in program order.
    pub ops: Vec<OpDecl>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The optional `[expect]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDecl {
    /// `safe`, `violation` or `deadlock`.
    pub verdict: notifier_harness::Verdict,
    /// The violation's kind (`use-after-free`), for a violation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<notifier_core::ViolationKind>,
    /// The kernel function it is reported in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The innermost operation (`hlist_del_init_rcu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The kernels this expectation is for; on the others the scenario is expected safe
    /// (absent: every kernel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernels: Option<Vec<notifier_core::KernelVersion>>,
}

/// The drivers a notifier can belong to: the behaviours of real drivers in `->release`,
/// `->invalidate_range_start` and their own teardown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Driver {
    /// KVM: every method flushes the driver's state; torn down by `unregister` (then
    /// `kfree`).
    Kvm,
    /// amdkfd (v3.19): `->release` takes an `mm_count` pin, unlinks with
    /// `mmu_notifier_unregister_no_release`, then frees through `mmu_notifier_call_srcu`. No
    /// other teardown: exit frees it.
    Amdkfd,
    /// hmm after commit 6d7c3cde93c1: `->invalidate_range_start` locks a mutex in its object;
    /// torn down by `unregister_no_release`, then freed through `mmu_notifier_call_srcu`.
    HmmSrcu,
    /// hmm before commit 6d7c3cde93c1: as `hmm-srcu`, but `kfree`s at once after
    /// `unregister_no_release` (the hmm use-after-free).
    Hmm,
    /// Hazard A: `->release` queues the free of its own, still-linked notifier with
    /// `call_srcu`, relying on the core to unlink it. No other teardown.
    DeferFreeWhileLinked,
    /// A get/put user (v5.4, hmm after its conversion): obtains its notifier with
    /// `mmu_notifier_get`, ends it with `mmu_notifier_put` (the core frees it through
    /// `free_notifier` after a grace period); `->invalidate_range_start` locks a mutex in its
    /// object; its module may be unloaded after `mmu_notifier_synchronize`.
    #[serde(rename = "getput")]
    GetPut,
    /// amdkfd on v5.4: registered with `mmu_notifier_register` (which sets `users = 1`); its
    /// `->release` calls `mmu_notifier_put`, and `free_notifier` frees it after a grace
    /// period. No other teardown: exit ends it.
    AmdkfdPut,
    /// A notifier that cannot invalidate without sleeping (i915's userptr notifier, as commit
    /// c2655835fd8c describes it): its `->invalidate_range_start` fails with `-EAGAIN` in a
    /// non-blockable range; it has no `->invalidate_range_end`. Torn down with `unregister`
    /// (then `kfree`).
    I915,
}

impl Driver {
    /// Every driver.
    pub const ALL: [Driver; 8] = [
        Driver::Kvm,
        Driver::Amdkfd,
        Driver::HmmSrcu,
        Driver::Hmm,
        Driver::DeferFreeWhileLinked,
        Driver::GetPut,
        Driver::AmdkfdPut,
        Driver::I915,
    ];

    /// The drivers that follow the API's rules (the others are known driver bugs). On v5.4
    /// they still meet two defects of the core, which `fuzz --driver correct` reports: a free
    /// that `mmu_notifier_synchronize` promised still pending when it returns (the catalogue's
    /// G2-no-unload; a put on one CPU, the call on another), and an OOM reaper's range left
    /// without its end after another notifier's start failed (range-oom-eagain, fixed by
    /// c2655835fd8c).
    pub const CORRECT: [Driver; 6] = [
        Driver::Kvm,
        Driver::Amdkfd,
        Driver::HmmSrcu,
        Driver::GetPut,
        Driver::AmdkfdPut,
        Driver::I915,
    ];

    /// The name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Kvm => "kvm",
            Driver::Amdkfd => "amdkfd",
            Driver::HmmSrcu => "hmm-srcu",
            Driver::Hmm => "hmm",
            Driver::DeferFreeWhileLinked => "defer-free-while-linked",
            Driver::GetPut => "getput",
            Driver::AmdkfdPut => "amdkfd-put",
            Driver::I915 => "i915",
        }
    }

    /// The operation the owner tears the notifier down with, if any (the others are freed by
    /// their own `->release`, which exit calls).
    pub fn teardown(self) -> Option<TeardownKind> {
        match self {
            Driver::Kvm | Driver::I915 => Some(TeardownKind::Unregister),
            Driver::Hmm | Driver::HmmSrcu => Some(TeardownKind::UnregisterNoRelease),
            Driver::Amdkfd | Driver::DeferFreeWhileLinked | Driver::GetPut | Driver::AmdkfdPut => {
                None
            }
        }
    }

    /// Whether it uses `mmu_notifier_call_srcu` or `mmu_notifier_unregister_no_release`,
    /// which v5.4 removed (commit c96245148c1e).
    pub fn uses_2014_api(self) -> bool {
        matches!(
            self,
            Driver::Amdkfd | Driver::HmmSrcu | Driver::Hmm | Driver::DeferFreeWhileLinked
        )
    }

    /// Whether it obtains its notifier with `mmu_notifier_get` (and ends it with
    /// `mmu_notifier_put`), which v5.4 added.
    pub fn uses_get_put(self) -> bool {
        self == Driver::GetPut
    }

    /// Whether it exists only on v5.4: it uses `mmu_notifier_get` or `mmu_notifier_put`
    /// (commit 2c7933f53f6b).
    pub fn v5_4_only(self) -> bool {
        matches!(self, Driver::GetPut | Driver::AmdkfdPut)
    }
}

/// The two teardown operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TeardownKind {
    /// `mmu_notifier_unregister`, then `kfree`.
    Unregister,
    /// `mmu_notifier_unregister_no_release`, then the driver's free.
    UnregisterNoRelease,
}

/// One operation of a thread, written as a short command: `exit mm0`, `invalidate mm1`,
/// `invalidate_nonblock mm0`, `register A`, `unregister A`, `unregister_no_release A`,
/// `get A`, `put A`, `module_unload A`, `mmu_notifier_synchronize`, `srcu_barrier`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum OpDecl {
    /// The last `mmput` of the mm: `exit_mmap` runs `__mmu_notifier_release`.
    Exit(String),
    /// An rmap walker's range on the mm (`try_to_unmap`, an rmap lock held for read):
    /// `invalidate_range_start`, then `invalidate_range_end`.
    Invalidate(String),
    /// The OOM reaper's non-blockable range on the mm (v5.4, `mmap_sem` held for read): the
    /// start, then the end only if the start succeeded.
    InvalidateNonblock(String),
    /// `mmu_notifier_register` of the notifier on its mm.
    Register(String),
    /// `mmu_notifier_unregister` of the notifier, then `kfree` (KVM's teardown).
    Unregister(String),
    /// `mmu_notifier_unregister_no_release`, then the driver's free (hmm's teardown).
    UnregisterNoRelease(String),
    /// `mmu_notifier_get` of the notifier's ops on its mm (v5.4).
    Get(String),
    /// `mmu_notifier_put` of the notifier this thread got (v5.4).
    Put(String),
    /// The notifier's driver module is unloaded (v5.4 get/put users).
    ModuleUnload(String),
    /// `mmu_notifier_synchronize()`.
    Synchronize,
    /// `srcu_barrier()` on the notifiers' SRCU.
    SrcuBarrier,
}

impl OpDecl {
    /// The operation's verb as written.
    pub fn verb(&self) -> &'static str {
        match self {
            OpDecl::Exit(_) => "exit",
            OpDecl::Invalidate(_) => "invalidate",
            OpDecl::InvalidateNonblock(_) => "invalidate_nonblock",
            OpDecl::Register(_) => "register",
            OpDecl::Unregister(_) => "unregister",
            OpDecl::UnregisterNoRelease(_) => "unregister_no_release",
            OpDecl::Get(_) => "get",
            OpDecl::Put(_) => "put",
            OpDecl::ModuleUnload(_) => "module_unload",
            OpDecl::Synchronize => "mmu_notifier_synchronize",
            OpDecl::SrcuBarrier => "srcu_barrier",
        }
    }

    /// The mm or notifier it names, if any.
    pub fn operand(&self) -> Option<&str> {
        match self {
            OpDecl::Exit(x)
            | OpDecl::Invalidate(x)
            | OpDecl::InvalidateNonblock(x)
            | OpDecl::Register(x)
            | OpDecl::Unregister(x)
            | OpDecl::UnregisterNoRelease(x)
            | OpDecl::Get(x)
            | OpDecl::Put(x)
            | OpDecl::ModuleUnload(x) => Some(x),
            OpDecl::Synchronize | OpDecl::SrcuBarrier => None,
        }
    }
}

impl fmt::Display for OpDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operand() {
            Some(x) => write!(f, "{} {x}", self.verb()),
            None => f.write_str(self.verb()),
        }
    }
}

impl FromStr for OpDecl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let one = |make: fn(String) -> OpDecl, what: &str| match words[1..] {
            [x] => Ok(make(x.to_string())),
            _ => Err(format!("'{s}': {} takes one {what}", words[0])),
        };
        let none = |op: OpDecl| match words.len() {
            1 => Ok(op),
            _ => Err(format!("'{s}': {} takes no operand", words[0])),
        };
        match words.first().copied() {
            Some("exit") => one(OpDecl::Exit, "mm (exit mm0)"),
            Some("invalidate") => one(OpDecl::Invalidate, "mm (invalidate mm0)"),
            Some("invalidate_nonblock") => {
                one(OpDecl::InvalidateNonblock, "mm (invalidate_nonblock mm0)")
            }
            Some("register") => one(OpDecl::Register, "notifier (register A)"),
            Some("unregister") => one(OpDecl::Unregister, "notifier (unregister A)"),
            Some("unregister_no_release") => one(
                OpDecl::UnregisterNoRelease,
                "notifier (unregister_no_release A)",
            ),
            Some("get") => one(OpDecl::Get, "notifier (get A)"),
            Some("put") => one(OpDecl::Put, "notifier (put A)"),
            Some("module_unload") => one(OpDecl::ModuleUnload, "notifier (module_unload A)"),
            Some("mmu_notifier_synchronize") => none(OpDecl::Synchronize),
            Some("srcu_barrier") => none(OpDecl::SrcuBarrier),
            _ => Err(format!(
                "unknown operation '{s}' (known: exit MM, invalidate MM, invalidate_nonblock \
                 MM, register N, unregister N, unregister_no_release N, get N, put N, \
                 module_unload N, mmu_notifier_synchronize, srcu_barrier)"
            )),
        }
    }
}

impl TryFrom<String> for OpDecl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<OpDecl> for String {
    fn from(op: OpDecl) -> String {
        op.to_string()
    }
}

impl ScenarioFile {
    /// Reads a file's text. A malformed file gives one line naming the line and column.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| {
            let place = e.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}: ")
            });
            format!("{}{}", place.unwrap_or_default(), e.message().trim())
        })
    }

    /// The file's text.
    pub fn render(&self) -> String {
        // Every field is a string, a list of strings or a table of them: encoding cannot fail.
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot encode: {e}\n"))
    }

    /// Its size: threads + operations + notifiers (the main thread, the SRCU worker and the
    /// mms are the harness's and not counted).
    pub fn size(&self) -> usize {
        self.threads.len()
            + self.threads.iter().map(|t| t.ops.len()).sum::<usize>()
            + self.notifiers.len()
    }
}
