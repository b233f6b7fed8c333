using System.Collections.Immutable;

namespace Pulse.Runtime.Membership;

/// <summary>
/// An immutable snapshot of cluster membership as one silo (or client) sees it. Placement is a pure
/// function of it, so every node holding the same view routes every grain to the same silo.
/// </summary>
public sealed class ClusterMembershipView
{
    /// <summary>An empty view (before the first table read).</summary>
    public static readonly ClusterMembershipView Empty = new(0, ImmutableDictionary<SiloAddress, MembershipEntry>.Empty);

    /// <summary>Creates a view.</summary>
    public ClusterMembershipView(int version, ImmutableDictionary<SiloAddress, MembershipEntry> members)
    {
        Version = version;
        Members = members;
        ActiveSilos = members.Values.Where(entry => entry.Status == SiloStatus.Active).Select(entry => entry.Silo).Order().ToImmutableArray();
    }

    /// <summary>The table version this view was read at.</summary>
    public int Version { get; }

    /// <summary>Every silo in the table, by address.</summary>
    public ImmutableDictionary<SiloAddress, MembershipEntry> Members { get; }

    /// <summary>Silos with status Active, in a deterministic order.</summary>
    public ImmutableArray<SiloAddress> ActiveSilos { get; }

    /// <summary>The status of a silo (None when absent).</summary>
    public SiloStatus GetStatus(SiloAddress silo) => Members.TryGetValue(silo, out MembershipEntry? entry) ? entry.Status : SiloStatus.None;

    public override string ToString() => $"v{Version}: {string.Join(", ", Members.Values.Select(entry => $"{entry.Silo}={entry.Status}"))}";
}

/// <summary>Publishes this node's current membership view.</summary>
public interface IClusterMembershipService
{
    /// <summary>The newest view.</summary>
    ClusterMembershipView CurrentView { get; }

    /// <summary>Raised after <see cref="CurrentView"/> changed to a newer version (never concurrently with itself).</summary>
    event Action<ClusterMembershipView>? ViewChanged;

    /// <summary>Reads the table now and publishes the result if it is newer (used after a Retry answer or a gossip hint).</summary>
    Task RefreshAsync(CancellationToken cancellationToken);
}
