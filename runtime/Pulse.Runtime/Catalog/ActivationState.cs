namespace Pulse.Runtime.Catalog;

/// <summary>Lifecycle of an activation. Transitions only move forward.</summary>
internal enum ActivationState : byte
{
    /// <summary>Created and registered in the catalog; the activation turn has not run yet.</summary>
    Creating,

    /// <summary>Constructing the grain, reading state, running OnActivateAsync. Requests queue.</summary>
    Activating,

    /// <summary>Processing requests.</summary>
    Valid,

    /// <summary>Waiting for running requests, then OnDeactivateAsync and state writes. Requests queue and are re-dispatched after.</summary>
    Deactivating,

    /// <summary>Gone from the catalog; any request handed to it is re-dispatched.</summary>
    Invalid,
}
