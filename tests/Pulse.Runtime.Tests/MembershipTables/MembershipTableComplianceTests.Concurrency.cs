using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.MembershipTables;

public abstract partial class MembershipTableComplianceTests
{
    private const int ConcurrentWriters = 4;

    private const int ConcurrentRounds = 25;

    [Fact]
    public async Task OfConcurrentWritersThatReadTheSameVersionExactlyOneSucceeds()
    {
        // A table instance per writer, as silos in different processes; half update one shared row,
        // half insert rows of their own, all at the version they read together.
        var tables = new IMembershipTable[ConcurrentWriters];
        for (int i = 0; i < tables.Length; i++)
        {
            tables[i] = await CreateInitializedTableAsync();
        }

        MembershipEntry shared = NewEntry(NewSilo(), SiloStatus.Joining, "shared");
        await InsertAsync(tables[0], shared);
        using var barrier = new Barrier(ConcurrentWriters);

        for (int round = 0; round < ConcurrentRounds; round++)
        {
            MembershipTableSnapshot snapshot = await ReadAsync(tables[0]);
            Row(snapshot, shared.Silo, out string etag);
            var attempts = new MembershipEntry[ConcurrentWriters];
            var writes = new Task<bool>[ConcurrentWriters];
            for (int writer = 0; writer < ConcurrentWriters; writer++)
            {
                IMembershipTable table = tables[writer];
                bool updates = writer % 2 == 0;
                MembershipEntry attempt = updates
                    ? shared with { Status = SiloStatus.Active, SiloName = $"writer-{writer}-round-{round}" }
                    : NewEntry(NewSilo(), SiloStatus.Joining, $"writer-{writer}-round-{round}");
                attempts[writer] = attempt;
                writes[writer] = StartTogether(barrier, () => updates
                    ? table.UpdateRowAsync(attempt, etag, snapshot.Version.Next(), None)
                    : table.InsertRowAsync(attempt, snapshot.Version.Next(), None));
            }

            bool[] outcomes = await Task.WhenAll(writes);

            Assert.Equal(1, outcomes.Count(won => won));
            int winner = Array.IndexOf(outcomes, true);
            MembershipTableSnapshot after = await ReadAsync(tables[1]);
            Assert.Equal(snapshot.Version.Version + 1, after.Version.Version);
            Assert.Equal(snapshot.Entries.Count + (winner % 2 == 0 ? 0 : 1), after.Entries.Count);
            AssertSameRow(attempts[winner], Row(after, attempts[winner].Silo, out _));
            if (winner % 2 == 0)
            {
                shared = attempts[winner];
            }
        }
    }

    [Fact]
    public async Task CleanupDeletesOnlyDeadRowsLastAliveBeforeTheDateAndReturnsTheCount()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        DateTimeOffset cutoff = BaseTime.AddHours(1);
        MembershipEntry[] defunct =
        [
            NewEntry(NewSilo(), SiloStatus.Dead) with { IAmAliveTime = cutoff.AddTicks(-10) },
            NewEntry(NewSilo(), SiloStatus.Dead) with { IAmAliveTime = cutoff.AddDays(-30) },
        ];
        MembershipEntry[] kept =
        [
            NewEntry(NewSilo(), SiloStatus.Dead) with { IAmAliveTime = cutoff },
            NewEntry(NewSilo(), SiloStatus.Dead) with { IAmAliveTime = cutoff.AddMinutes(1) },
            NewEntry(NewSilo(), SiloStatus.Active) with { IAmAliveTime = cutoff.AddDays(-30) },
            NewEntry(NewSilo(), SiloStatus.ShuttingDown) with { IAmAliveTime = cutoff.AddDays(-30) },
            NewEntry(NewSilo(), SiloStatus.Joining) with { IAmAliveTime = cutoff.AddDays(-30) },
        ];
        foreach (MembershipEntry entry in defunct.Concat(kept))
        {
            await InsertAsync(table, entry);
        }

        // A heartbeat newer than the cutoff saves a Dead row whose inserted time was older.
        MembershipEntry revived = NewEntry(NewSilo(), SiloStatus.Dead) with { IAmAliveTime = cutoff.AddDays(-1) };
        await InsertAsync(table, revived);
        await table.UpdateIAmAliveAsync(revived.Silo, cutoff.AddSeconds(1), None);

        int deleted = await table.CleanupDefunctSiloEntriesAsync(cutoff, None);

        Assert.Equal(2, deleted);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(kept.Length + 1, after.Entries.Count);
        foreach (MembershipEntry entry in kept)
        {
            AssertSameRow(entry, Row(after, entry.Silo, out _));
        }

        Assert.True(after.TryGet(revived.Silo, out _, out _));
        Assert.Equal(0, await table.CleanupDefunctSiloEntriesAsync(cutoff, None));
    }

    [Fact]
    public async Task RowsOfAnotherClusterAreInvisibleAndUnaffected()
    {
        IMembershipTable mine = await CreateInitializedTableAsync();
        IMembershipTable theirs = await CreateInitializedTableAsync(ClusterId + "-other");
        SiloAddress silo = NewSilo();
        MembershipEntry their = NewEntry(silo, SiloStatus.Active, "theirs");
        await InsertAsync(theirs, their);
        MembershipTableSnapshot theirsBefore = await ReadAsync(theirs);

        // The same silo address in my cluster: insert at my version 1, update, heartbeat, die, clean up.
        MembershipTableSnapshot mineEmpty = await ReadAsync(mine);
        Assert.Empty(mineEmpty.Entries);
        Assert.Equal(0, mineEmpty.Version.Version);
        MembershipEntry my = NewEntry(silo, SiloStatus.Joining, "mine");
        Assert.True(await mine.InsertRowAsync(my, mineEmpty.Version.Next(), None));
        MembershipTableSnapshot mineNow = await ReadAsync(mine);
        Row(mineNow, silo, out string myEtag);
        Assert.True(await mine.UpdateRowAsync(my with { Status = SiloStatus.Dead, IAmAliveTime = BaseTime.AddDays(-9) }, myEtag, mineNow.Version.Next(), None));
        await mine.UpdateIAmAliveAsync(silo, BaseTime.AddDays(-8), None);
        Assert.Equal(1, await mine.CleanupDefunctSiloEntriesAsync(BaseTime, None));

        MembershipTableSnapshot theirsAfter = await ReadAsync(theirs);
        Assert.Equal(theirsBefore.Version, theirsAfter.Version);
        (MembershipEntry row, string etag) = Assert.Single(theirsAfter.Entries);
        AssertSameRow(their, row);
        Assert.Equal(theirsBefore.Entries[0].Etag, etag);
        Assert.Equal(2, (await ReadAsync(mine)).Version.Version);
    }

    [Fact]
    public async Task InitializationIsIdempotentAndKeepsRowsAndVersion()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo());
        await InsertAsync(table, entry);

        await table.InitializeAsync(None);
        IMembershipTable later = await CreateInitializedTableAsync();

        MembershipTableSnapshot snapshot = await ReadAsync(later);
        Assert.Equal(1, snapshot.Version.Version);
        AssertSameRow(entry, Assert.Single(snapshot.Entries).Entry);
    }

    [Fact]
    public async Task ConcurrentInitializationOfAFreshStoreSucceedsOnce()
    {
        // Silos that start together on a fresh store, each creating the schema and the version row.
        var tables = Enumerable.Range(0, ConcurrentWriters).Select(_ => CreateTrackedTable()).ToArray();
        using var barrier = new Barrier(tables.Length);

        await Task.WhenAll(tables.Select(table => StartTogether(barrier, async () =>
        {
            await table.InitializeAsync(None);
            return true;
        })));

        foreach (IMembershipTable table in tables)
        {
            MembershipTableSnapshot snapshot = await ReadAsync(table);
            Assert.Equal(0, snapshot.Version.Version);
            Assert.Empty(snapshot.Entries);
        }

        await InsertAsync(tables[^1], NewEntry(NewSilo()));
        Assert.Equal(1, (await ReadAsync(tables[0])).Version.Version);
    }

    [Fact]
    public async Task AClusterWhoseTableWasNeverInitialisedReadsEmptyAndRefusesWrites()
    {
        // The schema exists (another cluster initialised it), but this cluster has no version row yet.
        await CreateInitializedTableAsync(ClusterId + "-initialised");
        IMembershipTable table = CreateTrackedTable();

        MembershipTableSnapshot snapshot = await ReadAsync(table);

        Assert.Empty(snapshot.Entries);
        Assert.Equal(0, snapshot.Version.Version);
        Assert.False(await table.InsertRowAsync(NewEntry(NewSilo()), snapshot.Version.Next(), None));
        await table.InitializeAsync(None);
        Assert.True(await table.InsertRowAsync(NewEntry(NewSilo()), snapshot.Version.Next(), None));
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own once every other writer is ready too: a table
    /// that completes synchronously (memory) would otherwise often run the writers one after another
    /// on a busy thread pool, and a race in it would go unseen.
    /// </summary>
    private static Task<T> StartTogether<T>(Barrier barrier, Func<Task<T>> work) =>
        Task.Factory.StartNew(
            () =>
            {
                barrier.SignalAndWait();
                return work();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
}
