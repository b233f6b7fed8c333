namespace Pulse.Runtime;

/// <summary>Why an activation is being deactivated.</summary>
public enum DeactivationReasonCode
{
    /// <summary>No reason given.</summary>
    None,

    /// <summary>The grain asked for it with <c>DeactivateOnIdle()</c>.</summary>
    ApplicationRequested,

    /// <summary>The activation was idle for longer than its collection age.</summary>
    ActivationIdle,

    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,

    /// <summary>The grain is now owned by another silo.</summary>
    OwnershipChanged,

    /// <summary>Activation failed.</summary>
    ActivationFailed,
}

/// <summary>Why an activation is being deactivated, with a human-readable description.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    public override string ToString() => $"{Code}: {Description}";
}
