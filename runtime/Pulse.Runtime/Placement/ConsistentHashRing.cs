using System.Collections.Immutable;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Placement;

/// <summary>
/// A consistent hash ring over silos with virtual nodes. The owner of a grain is the silo of the
/// first virtual node at or after the grain's stable hash, wrapping around. Built from the same set of
/// silos it gives the same answer on every node, in every process and version (it uses only
/// <see cref="StableHash"/>), so routing needs no directory. Adding or removing one silo moves only
/// about 1/N of the grains.
/// </summary>
public sealed class ConsistentHashRing
{
    /// <summary>Default number of virtual nodes per silo: enough to keep load within a few percent of even.</summary>
    public const int DefaultVirtualNodesPerSilo = 64;

    private readonly uint[] _points;
    private readonly SiloAddress[] _owners;

    /// <summary>Builds a ring over <paramref name="silos"/> (duplicates are ignored).</summary>
    public ConsistentHashRing(IEnumerable<SiloAddress> silos, int virtualNodesPerSilo = DefaultVirtualNodesPerSilo)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodesPerSilo, 1);
        Silos = silos.Distinct().Order().ToImmutableArray();
        var points = new List<(uint Point, SiloAddress Silo)>(Silos.Length * virtualNodesPerSilo);
        foreach (SiloAddress silo in Silos)
        {
            uint seed = StableHash.Compute(silo.ToParsableString());
            for (int node = 0; node < virtualNodesPerSilo; node++)
            {
                points.Add((StableHash.Compute(BitConverter.GetBytes(node), seed), silo));
            }
        }

        // Ties between silos are broken by address so every node orders them identically.
        points.Sort(static (a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : a.Silo.CompareTo(b.Silo));
        _points = new uint[points.Count];
        _owners = new SiloAddress[points.Count];
        for (int i = 0; i < points.Count; i++)
        {
            _points[i] = points[i].Point;
            _owners[i] = points[i].Silo;
        }
    }

    /// <summary>The silos on the ring, in a deterministic order.</summary>
    public ImmutableArray<SiloAddress> Silos { get; }

    /// <summary>Whether the ring has no silo.</summary>
    public bool IsEmpty => _points.Length == 0;

    /// <summary>The silo that owns <paramref name="grainId"/>; false when the ring is empty.</summary>
    public bool TryGetOwner(GrainId grainId, out SiloAddress owner) => TryGetOwner(grainId.UniformHash, out owner);

    /// <summary>The silo that owns a hash point; false when the ring is empty.</summary>
    public bool TryGetOwner(uint hash, out SiloAddress owner)
    {
        if (_points.Length == 0)
        {
            owner = default;
            return false;
        }

        int index = Array.BinarySearch(_points, hash);
        if (index < 0)
        {
            index = ~index;
        }

        if (index == _points.Length)
        {
            index = 0;
        }

        owner = _owners[index];
        return true;
    }
}
