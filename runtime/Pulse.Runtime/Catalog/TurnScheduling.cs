namespace Pulse.Runtime.Catalog;

/// <summary>
/// Chooses the thread-pool queue for an activation that has new work. The thread's local queue is
/// cheap and cache-warm but LIFO for its owner, so a caller whose continuation runs inline could keep
/// one thread busy with its own call chain while older work starves (p99.9 in the hundreds of ms in
/// the local-calls benchmark). Sending every few schedules to the global FIFO queue keeps most of the
/// locality and drains the local queue, which bounds how long anything waits there.
/// </summary>
internal static class TurnScheduling
{
    /// <summary>One schedule in this many goes to the global queue.</summary>
    private const int GlobalEvery = 4;

    [ThreadStatic]
    private static int t_schedules;

    public static bool PreferLocalQueue() => ++t_schedules % GlobalEvery != 0;
}
