namespace Pulse.Runtime.Catalog;

/// <summary>Persistent state bound to an activation: read before activation, written if changed on deactivation.</summary>
internal interface IActivationStateParticipant
{
    /// <summary>Name for logs.</summary>
    string StateName { get; }

    /// <summary>Reads the state before OnActivateAsync.</summary>
    Task ReadAsync(CancellationToken cancellationToken);

    /// <summary>Writes the state if its value differs from what was last read or written.</summary>
    Task<bool> WriteIfChangedAsync(CancellationToken cancellationToken);
}
