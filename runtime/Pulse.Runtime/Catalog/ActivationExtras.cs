using Pulse.Runtime.Invocation;
using Pulse.Runtime.Timers;

namespace Pulse.Runtime.Catalog;

/// <summary>
/// The parts of a <see cref="GrainActivation"/> that most activations never use: queues beyond one
/// waiting item, timers, persistent state participants, always-interleave requests and deactivation
/// bookkeeping. An activation allocates this on first use, so an idle cache entry does not pay for
/// fields it never sets. Guarded by the activation's lock.
/// </summary>
internal sealed class ActivationExtras
{
    /// <summary>Work items behind the activation's inline one.</summary>
    public Queue<GrainActivation.WorkItem>? Work { get; set; }

    /// <summary>Requests and timer ticks behind the activation's inline one.</summary>
    public Queue<object>? Pending { get; set; }

    /// <summary>Always-interleave requests in flight.</summary>
    public int RunningInterleaved { get; set; }

    /// <summary>Whether deactivation has started (it runs once).</summary>
    public bool DeactivationStarted { get; set; }

    public List<GrainTimer>? Timers { get; set; }

    public List<IActivationStateParticipant>? StateParticipants { get; set; }

    public Queue<GrainRequest>? Interleaved { get; set; }

    public DeactivationReason DeactivationReason { get; set; }

    public DeactivationReason? DeactivateAfterActivation { get; set; }

    public TaskCompletionSource? Deactivated { get; set; }
}
