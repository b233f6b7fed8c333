using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Placement;

/// <summary>
/// The ring this node routes by: rebuilt from every new membership view over its Active silos.
/// Reads are a volatile field load, so routing a call takes no lock.
/// </summary>
internal sealed class PlacementService
{
    private volatile Snapshot _current = new(ClusterMembershipView.Empty, new ConsistentHashRing([]));

    /// <summary>Raised after the ring changed (on the membership notification thread).</summary>
    public event Action<ClusterMembershipView>? RingChanged;

    public ClusterMembershipView View => _current.View;

    public ConsistentHashRing Ring => _current.Ring;

    /// <summary>Subscribes to a membership service and adopts its current view.</summary>
    public void Attach(IClusterMembershipService membership)
    {
        membership.ViewChanged += OnViewChanged;
        OnViewChanged(membership.CurrentView);
    }

    public bool TryGetOwner(GrainId grainId, out SiloAddress owner) => _current.Ring.TryGetOwner(grainId, out owner);

    public void OnViewChanged(ClusterMembershipView view)
    {
        Snapshot current = _current;
        if (view.Version < current.View.Version)
        {
            return;
        }

        bool ringChanged = !view.ActiveSilos.SequenceEqual(current.Ring.Silos);
        _current = new Snapshot(view, ringChanged ? new ConsistentHashRing(view.ActiveSilos) : current.Ring);
        if (ringChanged)
        {
            RingChanged?.Invoke(view);
        }
    }

    private sealed record Snapshot(ClusterMembershipView View, ConsistentHashRing Ring);
}
