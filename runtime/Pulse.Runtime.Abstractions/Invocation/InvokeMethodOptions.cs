namespace Pulse.Runtime.Invocation;

/// <summary>Per-method call semantics taken from the interface method's attributes.</summary>
[Flags]
public enum InvokeMethodOptions : byte
{
    /// <summary>An ordinary request.</summary>
    None = 0,

    /// <summary><see cref="ReadOnlyAttribute"/>.</summary>
    ReadOnly = 1,

    /// <summary><see cref="AlwaysInterleaveAttribute"/>.</summary>
    AlwaysInterleave = 2,

    /// <summary><see cref="OneWayAttribute"/>.</summary>
    OneWay = 4,

    /// <summary><see cref="IdempotentAttribute"/>.</summary>
    Idempotent = 8,

    /// <summary>
    /// The method returns <see cref="Task"/> or <see cref="Task{TResult}"/>. Its proxy makes the task at
    /// once, and making it sends an open <c>GrainCallBundle</c> part, so such calls are not
    /// bundled. Set by the source generator; not sent on the wire.
    /// </summary>
    ReturnsTask = 16,
}
