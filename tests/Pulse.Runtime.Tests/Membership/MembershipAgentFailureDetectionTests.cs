using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.Membership;

public sealed class MembershipAgentFailureDetectionTests
{
    private static readonly TimeSpan Bound = MembershipHarness.Bound;
    private static readonly TimeSpan DetectionBudget = TimeSpan.FromSeconds(10);
    private const int AlmostTheLimit = MembershipOptions.DefaultNumMissedProbesLimit - 1;

    [Fact]
    public async Task AKilledSiloIsDeclaredDeadWithinTenSecondsAfterThreeMissesAndTwoVotes()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        TestAgent killed = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        await killed.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(killed.Address);
        TimeSpan took = await cluster.AdvanceUntilAsync(
            () => first.StatusOf(killed) == SiloStatus.Dead && second.StatusOf(killed) == SiloStatus.Dead,
            DetectionBudget,
            "both survivors see the killed silo Dead");

        MembershipEntry row = cluster.Table.Get(killed.Address);
        Assert.Equal(SiloStatus.Dead, row.Status);
        Assert.Equal([first.Address, second.Address], row.Suspicions.Select(vote => vote.Suspecter).Order());
        Assert.True(cluster.Network.Missed(first.Address, killed.Address) >= MembershipOptions.DefaultNumMissedProbesLimit);
        Assert.True(cluster.Network.Missed(second.Address, killed.Address) >= MembershipOptions.DefaultNumMissedProbesLimit);
        // Three misses, each ending with a 1 s probe timeout, one probe round apart: about 4 s.
        Assert.True(took <= TimeSpan.FromSeconds(5), $"declared after {took}");
        Assert.Equal([first.Address, second.Address], first.View.ActiveSilos.OrderBy(a => a.Endpoint.Port));
        Assert.Equal(first.View.ActiveSilos.ToArray(), second.View.ActiveSilos.ToArray());
        Assert.Equal([SiloStatus.Joining, SiloStatus.Active, SiloStatus.Dead], cluster.Table.StatusHistory(killed.Address));
    }

    [Fact]
    public async Task ATargetThatMissesOneProbeFewerThanTheLimitThenAnswersIsNeverSuspected()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        TestAgent flaky = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        for (int burst = 0; burst < 3; burst++)
        {
            // Misses in a row up to one short of the limit, then answers: the count starts again from zero every time.
            cluster.Network.DropNext(first.Address, flaky.Address, AlmostTheLimit);
            cluster.Network.DropNext(second.Address, flaky.Address, AlmostTheLimit);
            await cluster.AdvanceAsync(TimeSpan.FromSeconds(8));
        }

        Assert.Equal(3 * AlmostTheLimit, cluster.Network.Missed(first.Address, flaky.Address));
        Assert.Equal(3 * AlmostTheLimit, cluster.Network.Missed(second.Address, flaky.Address));
        Assert.False(cluster.Table.EverSuspected(flaky.Address));
        Assert.Equal(SiloStatus.Active, cluster.Table.Get(flaky.Address).Status);
        Assert.Equal(3, first.View.ActiveSilos.Length);
        Assert.Equal(0, flaky.Terminator.Calls);
    }

    [Theory]
    [InlineData(0, 2000)]
    [InlineData(500, 2000)]
    [InlineData(900, 2000)]
    [InlineData(0, 2900)]
    [InlineData(500, 2900)]
    [InlineData(900, 2900)]
    public async Task ASiloThatStallsForTwoSecondsOrALittleLongerIsNeverSuspected(int phaseMilliseconds, int stallMilliseconds)
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        TestAgent stalled = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(phaseMilliseconds));

        // 2.9 s: the 2 s of a SIGSTOP plus a slow wake-up stays under the 3 s the defaults tolerate.
        cluster.Network.Stall(stalled.Address, TimeSpan.FromMilliseconds(stallMilliseconds));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(30));

        Assert.True(cluster.Network.Missed(first.Address, stalled.Address) >= 1, "the stall was noticed");
        Assert.False(cluster.Table.EverSuspected(stalled.Address));
        Assert.Equal(3, second.View.ActiveSilos.Length);
    }

    [Fact]
    public async Task ASiloThatStallsLongerThanTheToleranceIsSuspected()
    {
        // The other side of the tolerance above: the harness does see a stall long enough to matter.
        await using var cluster = new MembershipHarness();
        await cluster.JoinAsync(1);
        await cluster.JoinAsync(2);
        TestAgent stalled = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        cluster.Network.Stall(stalled.Address, TimeSpan.FromSeconds(MembershipOptions.DefaultNumMissedProbesLimit + 1));
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(30));

        Assert.True(cluster.Table.EverSuspected(stalled.Address));
    }

    [Fact]
    public async Task ATwoSiloClusterDeclaresDeathWithOneVote()
    {
        await using var cluster = new MembershipHarness();
        TestAgent survivor = await cluster.JoinAsync(1);
        TestAgent killed = await cluster.JoinAsync(2);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));

        await killed.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(killed.Address);
        await cluster.AdvanceUntilAsync(() => survivor.StatusOf(killed) == SiloStatus.Dead, DetectionBudget, "the survivor declared the other Dead");

        Assert.Equal([survivor.Address], cluster.Table.Get(killed.Address).Suspicions.Select(vote => vote.Suspecter));
        Assert.Equal([survivor.Address], survivor.View.ActiveSilos.ToArray());
    }

    [Fact]
    public async Task AnExpiredVoteDoesNotCountTowardDeath()
    {
        await using var cluster = new MembershipHarness();
        TestAgent suspecter = await cluster.JoinAsync(1);
        TestAgent other = await cluster.JoinAsync(2);
        TestAgent target = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        DateTimeOffset expired = cluster.Time.GetUtcNow() - MembershipOptions.DefaultDeathVoteExpiration - TimeSpan.FromSeconds(1);
        cluster.Table.Put(cluster.Table.Get(target.Address) with { Suspicions = [new SuspectVote(other.Address, expired)] });

        // Only one link fails, so only one silo ever votes.
        cluster.Network.DropNext(suspecter.Address, target.Address, int.MaxValue);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(10));

        MembershipEntry row = cluster.Table.Get(target.Address);
        Assert.Equal(SiloStatus.Active, row.Status);
        SuspectVote vote = Assert.Single(row.Suspicions);
        Assert.Equal(suspecter.Address, vote.Suspecter);
        Assert.True(suspecter.Logger.Logged(8008));
    }

    [Fact]
    public async Task AFreshVoteFromAnotherSiloAndOwnVoteDeclareDeathAndTheVictimTerminates()
    {
        await using var cluster = new MembershipHarness();
        TestAgent suspecter = await cluster.JoinAsync(1);
        TestAgent other = await cluster.JoinAsync(2);
        TestAgent target = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        DateTimeOffset recent = cluster.Time.GetUtcNow() - TimeSpan.FromSeconds(5);
        cluster.Table.Put(cluster.Table.Get(target.Address) with { Suspicions = [new SuspectVote(other.Address, recent)] });

        cluster.Network.DropNext(suspecter.Address, target.Address, int.MaxValue);
        await cluster.AdvanceUntilAsync(() => target.Terminator.Calls == 1, DetectionBudget, "the target read itself Dead");

        MembershipEntry row = cluster.Table.Get(target.Address);
        Assert.Equal(SiloStatus.Dead, row.Status);
        Assert.Equal([other.Address, suspecter.Address], row.Suspicions.Select(vote => vote.Suspecter));
    }

    [Fact]
    public async Task ASiloThatReadsItselfDeadTerminatesExactlyOnceAndStops()
    {
        await using var cluster = new MembershipHarness();
        TestAgent evicted = await cluster.JoinAsync(1);
        TestAgent other = await cluster.JoinAsync(2);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));

        MembershipEntry dead = cluster.Table.Get(evicted.Address) with { Status = SiloStatus.Dead };
        cluster.Table.Put(dead);
        await cluster.AdvanceUntilAsync(() => evicted.Terminator.Calls > 0, TimeSpan.FromSeconds(2), "the evicted silo terminated");
        int version = evicted.View.Version;
        int probes = cluster.Network.Answered(evicted.Address, other.Address);
        // A heartbeat may land between the Dead write and the read that notices it; nothing may land after.
        DateTimeOffset lastHeartbeat = cluster.Table.Get(evicted.Address).IAmAliveTime;

        // More table changes and time: a stopped agent reads, probes and writes nothing more.
        await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(20));
        await evicted.Agent.RefreshAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(1, evicted.Terminator.Calls);
        Assert.Contains("Dead", evicted.Terminator.Reason, StringComparison.Ordinal);
        Assert.True(evicted.Agent.IsTerminated);
        Assert.Equal(version, evicted.View.Version);
        Assert.Equal(probes, cluster.Network.Answered(evicted.Address, other.Address));
        Assert.Equal(lastHeartbeat, cluster.Table.Get(evicted.Address).IAmAliveTime);
        Assert.Equal(0, evicted.Agent.PendingWork);
        Assert.Equal(0, other.Terminator.Calls);
    }

    [Fact]
    public void ProbeTargetsAreTheNextRingSuccessorsWrappingAroundAndFewerInASmallCluster()
    {
        SiloAddress[] ring = [.. Enumerable.Range(1, 5).Select(port => MembershipHarness.Address(port))];

        Assert.Equal([ring[4], ring[0], ring[1]], MembershipAgent.SelectProbeTargets(ring, ring[3], 3));
        Assert.Equal([ring[1], ring[2], ring[3]], MembershipAgent.SelectProbeTargets(ring, ring[0], 3));
        Assert.Equal([ring[2], ring[0]], MembershipAgent.SelectProbeTargets(ring[..3], ring[1], 3));
        Assert.Equal([ring[0]], MembershipAgent.SelectProbeTargets(ring[..1], MembershipHarness.Address(9), 3));
        Assert.Empty(MembershipAgent.SelectProbeTargets(ring[..1], ring[0], 3));
    }

    [Fact]
    public void RequiredVotesAreCappedByLiveActiveVotersButNeverBelowOne()
    {
        DateTimeOffset now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        SiloAddress voter = MembershipHarness.Address(1);
        SiloAddress target = MembershipHarness.Address(2);
        SiloAddress live = MembershipHarness.Address(3);
        SiloAddress stale = MembershipHarness.Address(4);
        SiloAddress joining = MembershipHarness.Address(5);
        TimeSpan staleAfter = MembershipOptions.DefaultIAmAliveStaleAfter;
        MembershipTableSnapshot Table(params MembershipEntry[] rows) =>
            new([.. rows.Select(row => (row, "1"))], new TableVersion(rows.Length, "v"));
        MembershipEntry Row(SiloAddress silo, SiloStatus status, DateTimeOffset alive) =>
            MembershipAgentJoinTests.ActiveRow(silo, alive) with { Status = status };

        // Stale self still counts: the voter is evidently alive.
        Assert.Equal(1, MembershipAgent.RequiredVotes(Table(Row(voter, SiloStatus.Active, now - TimeSpan.FromHours(1)), Row(target, SiloStatus.Active, now)), voter, target, now, 2, staleAfter));
        Assert.Equal(2, MembershipAgent.RequiredVotes(Table(Row(voter, SiloStatus.Active, now), Row(target, SiloStatus.Active, now), Row(live, SiloStatus.Active, now)), voter, target, now, 2, staleAfter));
        Assert.Equal(1, MembershipAgent.RequiredVotes(
            Table(Row(voter, SiloStatus.Active, now), Row(target, SiloStatus.Active, now), Row(stale, SiloStatus.Active, now - staleAfter - TimeSpan.FromSeconds(1)), Row(joining, SiloStatus.Joining, now)),
            voter, target, now, 2, staleAfter));
        Assert.Equal(1, MembershipAgent.RequiredVotes(Table(Row(target, SiloStatus.Active, now)), voter, target, now, 2, staleAfter));
    }
}
