//! What a checker runs: a [`Model`] builds its world and runs its threads once per execution.

use notifier_core::{Backend, Oracle, Task};

/// A closed concurrent program over the kernel model. Implement it to check your own driver
/// behaviour: `run` is called once per execution, on a fresh world, by every checker.
///
/// `run` is given the task of the model's main thread. It must create every shared object
/// itself (loom and shuttle objects only exist inside an execution), spawn its threads with
/// [`Task::spawn`], join them, and leave nothing allocated that it means to free.
pub trait Model: Send + Sync + 'static {
    /// One execution under backend `B`.
    fn run<B: Backend>(&self, main: &Task);

    /// The oracles that judge each execution (fresh ones per execution).
    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        notifier_properties::standard_oracles()
    }
}
