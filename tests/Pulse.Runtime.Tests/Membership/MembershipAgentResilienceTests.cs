using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.Membership;

public sealed class MembershipAgentResilienceTests
{
    private static readonly TimeSpan Bound = MembershipHarness.Bound;

    [Fact]
    public async Task TwoAgentsVotingAtOnceBothSucceedThroughConflictRetries()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        TestAgent killed = await cluster.JoinAsync(3);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));

        // Both survivors reach the miss limit on the same tick; their votes reach the table together.
        cluster.Table.HoldUpdatesUntil(2);
        await killed.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(killed.Address);
        await cluster.AdvanceUntilAsync(
            () => cluster.Table.Get(killed.Address).Status == SiloStatus.Dead,
            TimeSpan.FromSeconds(10),
            "the killed silo is Dead");

        Assert.True(cluster.Table.Conflicts >= 1, "one vote lost the race and was retried");
        Assert.Equal(
            [first.Address, second.Address],
            cluster.Table.Get(killed.Address).Suspicions.Select(vote => vote.Suspecter).Order());
    }

    [Fact]
    public async Task ATableOutageKeepsTheLastViewAndTheAgentRecoversWhenTheTableReturns()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = await cluster.JoinAsync(1);
        TestAgent second = await cluster.JoinAsync(2);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(2));
        ClusterMembershipView before = first.View;

        cluster.Table.Failing = true;
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(10));

        Assert.Same(before, first.View);
        Assert.True(cluster.Table.FailedCalls >= 20, $"{cluster.Table.FailedCalls} failed calls");
        Assert.True(first.Logger.Logged(8012));
        Assert.Equal(0, first.Terminator.Calls);

        cluster.Table.Failing = false;
        TestAgent third = await cluster.JoinAsync(3);
        await cluster.AdvanceUntilAsync(
            () => first.View.ActiveSilos.Length == 3 && second.View.ActiveSilos.Length == 3,
            TimeSpan.FromSeconds(2),
            "the survivors of the outage see the new silo");

        // Probing and voting work again too.
        await second.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(second.Address);
        await cluster.AdvanceUntilAsync(
            () => first.StatusOf(second) == SiloStatus.Dead && third.StatusOf(second) == SiloStatus.Dead,
            TimeSpan.FromSeconds(10),
            "the killed silo is declared Dead after the outage");
    }

    [Fact]
    public async Task AJoinFailsLoudlyWhileTheTableIsDown()
    {
        await using var cluster = new MembershipHarness();
        cluster.Table.Failing = true;
        TestAgent silo = cluster.Create(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => silo.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound));

        Assert.Equal(0, silo.Agent.PendingWork);
        cluster.Table.Failing = false;
        Assert.False(cluster.Table.Contains(silo.Address));
    }

    [Fact]
    public async Task GossipIsNotifiedAfterEveryTableChangeAndItsFailuresAreIgnored()
    {
        await using var cluster = new MembershipHarness();
        TestAgent first = cluster.Create(1);
        first.Gossip.Throw = true;
        await first.Agent.JoinAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal([SiloStatus.Joining, SiloStatus.Active], first.Gossip.Views.Select(view => view.GetStatus(first.Address)));
        Assert.True(first.Logger.Logged(8015));

        TestAgent second = await cluster.JoinAsync(2);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        await second.Agent.StopAsync().WaitAsync(Bound);
        cluster.Network.Kill(second.Address);
        await cluster.AdvanceUntilAsync(() => first.StatusOf(second) == SiloStatus.Dead, TimeSpan.FromSeconds(10), "the survivor declared the other Dead");

        Assert.Equal(SiloStatus.Dead, first.Gossip.Views[^1].GetStatus(second.Address));
        Assert.Equal(3, first.Gossip.Views.Count);
        Assert.Equal(2, second.Gossip.Views.Count);
    }

    [Fact]
    public async Task DeadRowsAreDeletedOnceTheyAreOlderThanTheDefunctExpiration()
    {
        await using var cluster = new MembershipHarness();
        var options = new MembershipOptions
        {
            DefunctSiloCleanupPeriod = TimeSpan.FromSeconds(10),
            DefunctSiloExpiration = TimeSpan.FromMinutes(1),
        };
        TestAgent silo = await cluster.JoinAsync(1, options: options);
        SiloAddress defunct = MembershipHarness.Address(7);
        SiloAddress recentlyDead = MembershipHarness.Address(8);
        DateTimeOffset now = cluster.Time.GetUtcNow();
        cluster.Table.Put(MembershipAgentJoinTests.ActiveRow(defunct, now - TimeSpan.FromMinutes(2)) with { Status = SiloStatus.Dead });
        cluster.Table.Put(MembershipAgentJoinTests.ActiveRow(recentlyDead, now) with { Status = SiloStatus.Dead });

        await cluster.AdvanceAsync(TimeSpan.FromSeconds(9));
        Assert.True(cluster.Table.Contains(defunct), "not before the cleanup period");
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.False(cluster.Table.Contains(defunct));
        Assert.True(cluster.Table.Contains(recentlyDead));
        Assert.True(silo.Logger.Logged(8021));
    }

    [Fact]
    public async Task StopWritesNothingAndLeaveAfterStopDoesNothing()
    {
        await using var cluster = new MembershipHarness();
        TestAgent silo = await cluster.JoinAsync(1);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(1));
        MembershipEntry before = cluster.Table.Get(silo.Address);

        await silo.Agent.StopAsync().WaitAsync(Bound);
        await cluster.AdvanceAsync(TimeSpan.FromSeconds(10));
        await silo.Agent.LeaveAsync(CancellationToken.None).WaitAsync(Bound);

        MembershipEntry after = cluster.Table.Get(silo.Address);
        Assert.Equal(SiloStatus.Active, after.Status);
        Assert.Equal(before.IAmAliveTime, after.IAmAliveTime);
        Assert.Equal([SiloStatus.Joining, SiloStatus.Active], cluster.Table.StatusHistory(silo.Address));
        Assert.Equal(0, silo.Terminator.Calls);
    }

    [Fact]
    public void DefaultOptionsAreValidAndMeetTheDetectionBudget()
    {
        var options = new MembershipOptions();
        Assert.True(new MembershipOptionsValidator().Validate(null, options).Succeeded);

        // The arithmetic of the MembershipOptions remarks: rounds are max(period, timeout) apart; the first
        // failing probe starts within one period of the kill; the last miss ends one timeout after it starts.
        TimeSpan round = options.ProbePeriod > options.ProbeTimeout ? options.ProbePeriod : options.ProbeTimeout;
        TimeSpan worstCase = options.ProbePeriod + ((options.NumMissedProbesLimit - 1) * round) + options.ProbeTimeout + options.TableRefreshPeriod;
        Assert.Equal(TimeSpan.FromSeconds(5), worstCase);
        Assert.True(worstCase <= TimeSpan.FromSeconds(10));
        // A stall of D fails probes started within a window of D - ProbeTimeout; it takes NumMissedProbesLimit
        // starts to vote. The 2 s stall must leave a whole probe round of margin for a slow wake-up.
        TimeSpan toleratedStall = options.ProbeTimeout + ((options.NumMissedProbesLimit - 1) * round);
        Assert.True(toleratedStall >= TimeSpan.FromSeconds(2) + round, $"a stall shorter than {toleratedStall} is tolerated");
    }

    [Theory]
    [InlineData("ProbePeriod", "ProbePeriod must be positive")]
    [InlineData("ProbeTimeout", "ProbeTimeout must be positive")]
    [InlineData("NumProbedSilos", "NumProbedSilos must be at least 1")]
    [InlineData("NumMissedProbesLimit", "NumMissedProbesLimit must be at least 1")]
    [InlineData("NumVotesForDeathDeclaration", "NumVotesForDeathDeclaration must be at least 1")]
    [InlineData("IAmAliveStaleAfter", "IAmAliveStaleAfter must be at least twice IAmAlivePeriod")]
    [InlineData("DeathVoteExpiration", "DeathVoteExpiration must be at least (NumMissedProbesLimit + 1) probe rounds")]
    [InlineData("MaxConflictRetryDelay", "MaxConflictRetryDelay must not be shorter than ConflictRetryDelay")]
    public void InvalidOptionsAreRejectedWithTheReason(string setting, string reason)
    {
        var options = new MembershipOptions();
        switch (setting)
        {
            case "ProbePeriod": options.ProbePeriod = TimeSpan.Zero; break;
            case "ProbeTimeout": options.ProbeTimeout = TimeSpan.FromSeconds(-1); break;
            case "NumProbedSilos": options.NumProbedSilos = 0; break;
            case "NumMissedProbesLimit": options.NumMissedProbesLimit = 0; break;
            case "NumVotesForDeathDeclaration": options.NumVotesForDeathDeclaration = 0; break;
            case "IAmAliveStaleAfter": options.IAmAliveStaleAfter = options.IAmAlivePeriod; break;
            case "DeathVoteExpiration": options.DeathVoteExpiration = TimeSpan.FromSeconds(3); break;
            case "MaxConflictRetryDelay": options.MaxConflictRetryDelay = TimeSpan.FromMilliseconds(10); break;
            default: throw new ArgumentOutOfRangeException(nameof(setting));
        }

        ValidateOptionsResult result = new MembershipOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheAgentRefusesInvalidOptions()
    {
        await using var cluster = new MembershipHarness();

        Assert.Throws<OptionsValidationException>(() => cluster.Create(1, options: new MembershipOptions { NumMissedProbesLimit = 0 }));
    }
}
