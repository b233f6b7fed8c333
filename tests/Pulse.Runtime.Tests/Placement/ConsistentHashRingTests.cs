using System.Net;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Placement;

namespace Pulse.Runtime.Tests.Placement;

public sealed class ConsistentHashRingTests
{
    private static SiloAddress Silo(int port, long generation = 1) => new(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static GrainId[] Grains(int count) => Enumerable.Range(0, count).Select(i => GrainId.Create("test.ring", "k" + i)).ToArray();

    [Fact]
    public void TheOwnerIsAPureFunctionOfTheSilosWhateverTheirOrder()
    {
        SiloAddress[] silos = [Silo(11111), Silo(11112), Silo(11113)];
        var forward = new ConsistentHashRing(silos);
        var backward = new ConsistentHashRing(silos.Reverse());

        foreach (GrainId grain in Grains(2000))
        {
            Assert.True(forward.TryGetOwner(grain, out SiloAddress a));
            Assert.True(backward.TryGetOwner(grain, out SiloAddress b));
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void TheStableHashIsMurmurHash3MatchingItsPublishedTestVectors()
    {
        // Placement depends on this hash never changing; these are MurmurHash3 x86_32's reference values.
        Assert.Equal(0x00000000u, StableHash.Compute(""u8, 0));
        Assert.Equal(0x514E28B7u, StableHash.Compute(""u8, 1));
        Assert.Equal(0xB3DD93FAu, StableHash.Compute("abc"u8, 0));
        Assert.Equal(0x24884CBAu, StableHash.Compute("Hello, world!"u8, 0x9747b28c));
        Assert.Equal(StableHash.Compute("abc"u8), StableHash.Compute("abc"));

        // The string overload hashes the UTF-8 bytes, on the stack or (past 512 bytes) in a rented buffer.
        foreach (string value in new[] { "t/k1", "tenant/clé-ünïcode-🔑", new string('x', 170), new string('é', 300), new string('y', 5_000) })
        {
            Assert.Equal(StableHash.Compute(System.Text.Encoding.UTF8.GetBytes(value), 7), StableHash.Compute(value, 7));
        }
    }

    [Fact]
    public void LoadIsSpreadEvenlyAcrossSilos()
    {
        SiloAddress[] silos = Enumerable.Range(0, 4).Select(i => Silo(11111 + i)).ToArray();
        var ring = new ConsistentHashRing(silos);
        var counts = silos.ToDictionary(silo => silo, _ => 0);

        foreach (GrainId grain in Grains(40_000))
        {
            ring.TryGetOwner(grain, out SiloAddress owner);
            counts[owner]++;
        }

        Assert.All(counts.Values, count => Assert.InRange(count, 7_000, 13_000));
    }

    [Fact]
    public void AddingASiloMovesOnlyTheGrainsItTakesOver()
    {
        SiloAddress[] three = [Silo(11111), Silo(11112), Silo(11113)];
        SiloAddress fourth = Silo(11114);
        var before = new ConsistentHashRing(three);
        var after = new ConsistentHashRing([.. three, fourth]);
        int moved = 0;
        GrainId[] grains = Grains(20_000);

        foreach (GrainId grain in grains)
        {
            before.TryGetOwner(grain, out SiloAddress a);
            after.TryGetOwner(grain, out SiloAddress b);
            if (a != b)
            {
                Assert.Equal(fourth, b);
                moved++;
            }
        }

        Assert.InRange(moved, grains.Length / 8, grains.Length * 3 / 8);
    }

    [Fact]
    public void ARestartedSiloIsADifferentMemberOfTheRing()
    {
        var first = new ConsistentHashRing([Silo(11111, generation: 1), Silo(11112)]);
        var restarted = new ConsistentHashRing([Silo(11111, generation: 2), Silo(11112)]);

        Assert.DoesNotContain(Silo(11111, generation: 1), restarted.Silos);
        Assert.Contains(Silo(11111, generation: 1), first.Silos);
    }

    [Fact]
    public void AnEmptyRingHasNoOwner()
    {
        var ring = new ConsistentHashRing([]);

        Assert.True(ring.IsEmpty);
        Assert.False(ring.TryGetOwner(GrainId.Create("t", "k"), out _));
    }
}
