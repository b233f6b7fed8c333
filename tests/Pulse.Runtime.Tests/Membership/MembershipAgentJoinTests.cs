using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.Membership;

public sealed class MembershipAgentJoinTests
{
    private static readonly TimeSpan Bound = MembershipHarness.Bound;

    [Fact]
    public async Task JoinWritesJoiningThenActiveAndTheViewShowsIt()
    {
        await using var cluster = new MembershipHarness();
        TestAgent silo = cluster.Create(1);
        var published = new List<SiloStatus>();
        silo.Agent.ViewChanged += view => published.Add(view.GetStatus(silo.Address));

        await silo.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([SiloStatus.Joining, SiloStatus.Active], cluster.Table.StatusHistory(silo.Address));
        Assert.Equal([SiloStatus.Joining, SiloStatus.Active], published);
        Assert.Equal([silo.Address], silo.View.ActiveSilos.ToArray());
        MembershipEntry row = cluster.Table.Get(silo.Address);
        Assert.Equal("silo-1", row.SiloName);
        Assert.Equal("test-host", row.HostName);
        Assert.Equal(30001, row.ClientPort);
        Assert.Equal(8001, row.HttpPort);
        Assert.Equal(cluster.Time.GetUtcNow(), row.IAmAliveTime);
    }

    [Fact]
    public async Task ThreeAgentsSharingOneTableConvergeToTheSameViewWithThreeActiveSilos()
    {
        await using var cluster = new MembershipHarness();
        TestAgent[] silos = [cluster.Create(1), cluster.Create(2), cluster.Create(3)];
        var versions = silos.ToDictionary(silo => silo.Address, _ => new List<int>());
        foreach (TestAgent silo in silos)
        {
            silo.Agent.ViewChanged += view =>
            {
                lock (versions)
                {
                    versions[silo.Address].Add(view.Version);
                }
            };
        }

        foreach (TestAgent silo in silos)
        {
            await silo.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound);
        }

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        int version = silos[2].View.Version;
        foreach (TestAgent silo in silos)
        {
            Assert.Equal(version, silo.View.Version);
            Assert.Equal(silos.Select(s => s.Address).Order(), silo.View.ActiveSilos.ToArray());
        }

        // A healthy cluster stays put: nobody is suspected while everyone answers.
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(20));
        foreach (TestAgent silo in silos)
        {
            Assert.Equal(version, silo.View.Version);
            Assert.False(cluster.Table.EverSuspected(silo.Address));
            List<int> seen = versions[silo.Address];
            Assert.Equal(seen.Order().Distinct(), seen);
            Assert.Equal(version, seen[^1]);
            Assert.Equal(0, silo.Terminator.Calls);
        }
    }

    [Fact]
    public async Task ViewChangedHandlersOfOneAgentNeverRunConcurrentlyAndSeeIncreasingVersions()
    {
        await using var cluster = new MembershipHarness();
        TestAgent watcher = cluster.Create(1);
        int running = 0;
        int overlaps = 0;
        var versions = new List<int>();
        watcher.Agent.ViewChanged += view =>
        {
            if (Interlocked.Increment(ref running) > 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            versions.Add(view.Version);
            Interlocked.Decrement(ref running);
        };
        await watcher.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound);

        // Many refreshes at once (as gossip hints would cause) race the table changes other silos make.
        Task refreshes = Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => watcher.Agent.RefreshAsync(CancellationToken.None))));
        for (int port = 2; port <= 6; port++)
        {
            await cluster.JoinAsync(port);
        }

        await refreshes.WaitAsync(Bound);
        await watcher.Agent.RefreshAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(0, overlaps);
        Assert.Equal(versions.Order().Distinct(), versions);
        Assert.Equal(watcher.View.Version, versions[^1]);
        Assert.Equal(6, watcher.View.ActiveSilos.Length);
    }

    [Fact]
    public async Task ARestartedSiloMarksItsPreviousIncarnationDeadWhenItJoins()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1, generation: 100);
        TestAgent other = await cluster.JoinAsync(2);
        await first.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(first.Address);

        TestAgent restarted = await cluster.JoinAsync(1, generation: 200);

        // No clock movement needed: the new incarnation knows the old one is gone.
        Assert.Equal(SiloStatus.Dead, cluster.Table.Get(first.Address).Status);
        Assert.Empty(cluster.Table.Get(first.Address).Suspicions);
        Assert.Equal(SiloStatus.Active, cluster.Table.Get(restarted.Address).Status);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(SiloStatus.Dead, other.StatusOf(first));
        Assert.Equal([restarted.Address, other.Address], other.View.ActiveSilos.OrderBy(a => a.Endpoint.Port));
    }

    [Fact]
    public async Task AFullClusterRestartJoinsAtOnceAndDeclaresTheUnreachableStaleRowsDead()
    {
        await using var cluster = new MembershipHarness();
        DateTimeOffset longAgo = cluster.Time.GetUtcNow() - TimeSpan.FromMinutes(1);
        SiloAddress[] old = [MembershipHarness.Address(1), MembershipHarness.Address(2), MembershipHarness.Address(3)];
        foreach (SiloAddress silo in old)
        {
            cluster.Table.Put(ActiveRow(silo, longAgo));
            cluster.Network.Kill(silo);
        }

        TestAgent restarted = cluster.Create(1, generation: 2);
        Task join = restarted.Agent.JoinAsync(CancellationToken.None);
        // The only wait is one probe timeout for the silos that no longer answer; the clock moves no further.
        await cluster.AdvanceAsync(MembershipOptions.DefaultProbeTimeout);
        await join.WaitAsync(Bound);

        Assert.All(old, silo => Assert.Equal(SiloStatus.Dead, cluster.Table.Get(silo).Status));
        Assert.Equal([restarted.Address], restarted.View.ActiveSilos.ToArray());
        Assert.True(restarted.Logger.Logged(8004));
    }

    [Fact]
    public async Task AnUnreachableRowWithARecentHeartbeatDoesNotBlockTheJoinAndIsDeclaredDeadOnceItGoesStale()
    {
        await using var cluster = new MembershipHarness();
        SiloAddress[] justKilled = [MembershipHarness.Address(2), MembershipHarness.Address(3)];
        foreach (SiloAddress silo in justKilled)
        {
            cluster.Table.Put(ActiveRow(silo, cluster.Time.GetUtcNow()));
            cluster.Network.Kill(silo);
        }

        TestAgent fresh = cluster.Create(1);
        Task join = fresh.Agent.JoinAsync(CancellationToken.None);
        await cluster.AdvanceAsync(MembershipOptions.DefaultProbeTimeout);
        await join.WaitAsync(Bound);
        Assert.Equal(SiloStatus.Active, cluster.Table.Get(fresh.Address).Status);
        Assert.All(justKilled, silo => Assert.Equal(SiloStatus.Active, cluster.Table.Get(silo).Status));
        Assert.True(fresh.Logger.Logged(8005));

        // Each dead row is a voter for the other while its heartbeat looks fresh, so one live silo
        // cannot reach two votes; once the heartbeats are stale its single vote is enough.
        TimeSpan took = await cluster.AdvanceUntilAsync(
            () => justKilled.All(silo => cluster.Table.Get(silo).Status == SiloStatus.Dead),
            MembershipOptions.DefaultIAmAliveStaleAfter + TimeSpan.FromSeconds(5),
            "both unreachable rows are Dead");
        Assert.True(took > MembershipOptions.DefaultIAmAliveStaleAfter - TimeSpan.FromSeconds(2), $"declared after {took}");
        Assert.Equal([fresh.Address], fresh.View.ActiveSilos.ToArray());
    }

    [Fact]
    public async Task GracefulShutdownWritesShuttingDownThenDeadAndNobodySuspectsTheLeavingSilo()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        TestAgent leaving = await cluster.JoinAsync(3);

        await leaving.Agent.BeginShutdownAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.Equal(SiloStatus.ShuttingDown, cluster.Table.Get(leaving.Address).Status);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(SiloStatus.ShuttingDown, first.StatusOf(leaving));
        Assert.DoesNotContain(leaving.Address, second.View.ActiveSilos);

        await leaving.Agent.LeaveAsync(CancellationToken.None).WaitAsync(Bound);
        cluster.Network.Kill(leaving.Address);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(
            [SiloStatus.Joining, SiloStatus.Active, SiloStatus.ShuttingDown, SiloStatus.Dead],
            cluster.Table.StatusHistory(leaving.Address));
        Assert.Equal(SiloStatus.Dead, first.StatusOf(leaving));
        Assert.Equal(SiloStatus.Dead, second.StatusOf(leaving));
        Assert.False(cluster.Table.EverSuspected(leaving.Address));
        Assert.Equal(0, leaving.Terminator.Calls);
        Assert.Equal(0, leaving.Agent.PendingWork);
    }

    [Fact]
    public async Task AnOlderIncarnationCannotJoinOverANewerOne()
    {
        await using var cluster = new MembershipHarness();
        TestAgent newer = await cluster.JoinAsync(1, generation: 5);
        TestAgent older = cluster.Create(1, generation: 3);

        await Assert.ThrowsAsync<InvalidOperationException>(() => older.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.False(cluster.Table.Contains(older.Address));
        Assert.Equal(SiloStatus.Active, cluster.Table.Get(newer.Address).Status);
    }

    [Fact]
    public async Task AnAgentJoinsOnlyOnce()
    {
        await using var cluster = new MembershipHarness();
        TestAgent silo = await cluster.JoinAsync(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => silo.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound));
    }

    internal static MembershipEntry ActiveRow(SiloAddress silo, DateTimeOffset iAmAlive) => new()
    {
        Silo = silo,
        Status = SiloStatus.Active,
        SiloName = $"old-{silo.Endpoint.Port}",
        HostName = "old-host",
        StartTime = iAmAlive - TimeSpan.FromHours(1),
        IAmAliveTime = iAmAlive,
    };
}
