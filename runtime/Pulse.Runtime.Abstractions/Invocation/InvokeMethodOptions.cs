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
}
