//! The drivers of a data scenario: the catalogue's driver behaviours, each notifier with its
//! own `mmu_notifier_ops` (its own module), named as the scenario names it.

use super::format::Driver;
use crate::scenarios::notifier::drivers::{
    AmdkfdPut, DeferFreeWhileLinked, FailsNonBlocking, FlushOnly, HmmMirror, UnlinkThenDefer,
};
use notifier_core::{
    Backend, Errno, Kernel, MmRef, MmuNotifierOps, MmuNotifierRange, MnRef, OpsId, Task,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One notifier's ops: its driver's behaviour, and an `alloc_notifier` (called by
/// `mmu_notifier_get`) that names the object after the scenario's notifier: `notifier A`,
/// then `notifier A#2` if A is got again after its last put freed it.
pub struct NotifierOps<B: Backend> {
    behaviour: Arc<dyn MmuNotifierOps<B>>,
    name: String,
    /// Objects allocated so far (harness bookkeeping: a std atomic, never a scheduling point).
    allocated: AtomicUsize,
}

impl<B: Backend> NotifierOps<B> {
    /// The ops of notifier `name` with `driver`'s behaviour.
    pub fn new(driver: Driver, name: &str) -> Self {
        let behaviour: Arc<dyn MmuNotifierOps<B>> = match driver {
            Driver::Kvm => Arc::new(FlushOnly),
            Driver::Amdkfd => Arc::new(UnlinkThenDefer),
            Driver::Hmm | Driver::HmmSrcu | Driver::GetPut => Arc::new(HmmMirror),
            Driver::DeferFreeWhileLinked => Arc::new(DeferFreeWhileLinked),
            Driver::AmdkfdPut => Arc::new(AmdkfdPut::Correct),
            Driver::I915 => Arc::new(FailsNonBlocking),
        };
        NotifierOps {
            behaviour,
            name: name.to_string(),
            allocated: AtomicUsize::new(0),
        }
    }

    /// The name of the next object allocated for this notifier.
    pub fn next_name(&self) -> String {
        match self.allocated.fetch_add(1, Ordering::Relaxed) {
            0 => self.name.clone(),
            n => format!("{}#{}", self.name, n + 1),
        }
    }
}

impl<B: Backend> MmuNotifierOps<B> for NotifierOps<B> {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        self.behaviour.release(k, cur, mn, mm);
    }
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        self.behaviour.invalidate_range_start(k, cur, mn, range)
    }
    fn invalidate_range_end(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) {
        self.behaviour.invalidate_range_end(k, cur, mn, range);
    }
    fn alloc_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, ops: OpsId, _mm: MmRef) -> MnRef {
        k.alloc_notifier(cur, &self.next_name(), ops)
    }
    fn free_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef) {
        self.behaviour.free_notifier(k, cur, mn);
    }
}
