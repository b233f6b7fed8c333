using System.Net;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.MembershipTables;

/// <summary>
/// The behaviour every membership table must show. A provider's test class derives from this, says
/// how to make a fresh store (a shared in-memory table, a database file, a database) and a table on it
/// for a cluster id, and so runs every test here; it may add provider-specific tests of its own.
/// </summary>
public abstract partial class MembershipTableComplianceTests : IAsyncLifetime
{
    /// <summary>A time with microseconds and a non-UTC offset: tables must keep the instant to the microsecond.</summary>
    protected static readonly DateTimeOffset BaseTime = new(2025, 3, 14, 15, 9, 26, 535, 897, TimeSpan.FromHours(2));

    private static int s_nextPort = 20000;

    private readonly List<IMembershipTable> _tables = [];

    /// <summary>This test's cluster id; unique so that nothing else in the store can interfere.</summary>
    protected string ClusterId { get; } = "cluster-" + Guid.NewGuid().ToString("N")[..10];

    protected static CancellationToken None => CancellationToken.None;

    /// <summary>Creates this test's fresh, empty store (no schema yet).</summary>
    protected abstract Task CreateStoreAsync();

    /// <summary>Deletes this test's store; tables are disposed before.</summary>
    protected abstract Task DeleteStoreAsync();

    /// <summary>A new table instance on this test's store for <paramref name="clusterId"/>, not yet initialised.</summary>
    protected abstract IMembershipTable CreateTable(string clusterId);

    public Task InitializeAsync() => CreateStoreAsync();

    public async Task DisposeAsync()
    {
        foreach (IMembershipTable table in _tables)
        {
            if (table is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (table is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }

        await DeleteStoreAsync();
    }

    /// <summary>A table on this test's store, disposed at the end of the test.</summary>
    protected IMembershipTable CreateTrackedTable(string? clusterId = null)
    {
        IMembershipTable table = CreateTable(clusterId ?? ClusterId);
        _tables.Add(table);
        return table;
    }

    /// <summary>A table on this test's store, initialised, disposed at the end of the test.</summary>
    protected async Task<IMembershipTable> CreateInitializedTableAsync(string? clusterId = null)
    {
        IMembershipTable table = CreateTrackedTable(clusterId);
        await table.InitializeAsync(None);
        return table;
    }

    /// <summary>A silo address no other test uses.</summary>
    protected static SiloAddress NewSilo() =>
        new(new IPEndPoint(IPAddress.Parse("10.1.2.3"), Interlocked.Increment(ref s_nextPort)), Random.Shared.NextInt64(1, long.MaxValue));

    /// <summary>A row with every field set to something a table could get wrong.</summary>
    protected static MembershipEntry NewEntry(SiloAddress silo, SiloStatus status = SiloStatus.Active, string name = "silo-Zoë-東京-🚀") => new()
    {
        Silo = silo,
        Status = status,
        SiloName = name,
        HostName = "hôte-Ελλάδα",
        ClientPort = 30001,
        HttpPort = 8081,
        StartTime = BaseTime,
        IAmAliveTime = BaseTime.AddSeconds(7.123456),
        Suspicions = [],
    };

    protected static async Task<MembershipTableSnapshot> ReadAsync(IMembershipTable table) => await table.ReadAllAsync(None);

    protected static MembershipEntry Row(MembershipTableSnapshot snapshot, SiloAddress silo, out string etag)
    {
        Assert.True(snapshot.TryGet(silo, out MembershipEntry entry, out etag), $"no row for {silo} in {snapshot.Entries.Count} rows");
        return entry;
    }

    /// <summary>Inserts a row at the next version after what the table holds now; asserts it succeeded.</summary>
    protected static async Task<TableVersion> InsertAsync(IMembershipTable table, MembershipEntry entry)
    {
        TableVersion next = (await ReadAsync(table)).Version.Next();
        Assert.True(await table.InsertRowAsync(entry, next, None), $"insert of {entry.Silo} at version {next.Version} failed");
        return next;
    }

    protected static void AssertSameRow(MembershipEntry expected, MembershipEntry actual)
    {
        Assert.Equal(expected.Silo, actual.Silo);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.SiloName, actual.SiloName);
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.ClientPort, actual.ClientPort);
        Assert.Equal(expected.HttpPort, actual.HttpPort);
        Assert.Equal(expected.StartTime, actual.StartTime);
        Assert.Equal(expected.IAmAliveTime, actual.IAmAliveTime);
        Assert.Equal(expected.Suspicions, actual.Suspicions);
    }

    [Fact]
    public async Task ANewTableReadsEmptyWithVersionZero()
    {
        IMembershipTable table = await CreateInitializedTableAsync();

        MembershipTableSnapshot snapshot = await ReadAsync(table);

        Assert.Empty(snapshot.Entries);
        Assert.Equal(0, snapshot.Version.Version);
        Assert.False(string.IsNullOrEmpty(snapshot.Version.Etag));
    }

    [Fact]
    public async Task AnInsertedRowReadsBackWithEveryFieldAndTheTableAtVersionOne()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo()) with
        {
            Suspicions = [new SuspectVote(NewSilo(), BaseTime.AddSeconds(1)), new SuspectVote(NewSilo(), BaseTime.AddTicks(-10))],
        };

        Assert.True(await table.InsertRowAsync(entry, (await ReadAsync(table)).Version.Next(), None));
        MembershipTableSnapshot snapshot = await ReadAsync(table);

        Assert.Equal(1, snapshot.Version.Version);
        (MembershipEntry read, string etag) = Assert.Single(snapshot.Entries);
        AssertSameRow(entry, read);
        Assert.Equal("silo-Zoë-東京-🚀", read.SiloName);
        Assert.Equal(BaseTime.UtcTicks, read.StartTime.UtcTicks);
        Assert.Equal(TimeSpan.Zero, read.StartTime.Offset);
        Assert.Equal(TimeSpan.Zero, read.Suspicions[0].Time.Offset);
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task TimesFinerThanAMicrosecondAreCutToTheMicrosecond()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo()) with { StartTime = BaseTime.AddTicks(7), IAmAliveTime = BaseTime.AddTicks(19) };

        await InsertAsync(table, entry);
        MembershipEntry read = Row(await ReadAsync(table), entry.Silo, out _);

        Assert.Equal(BaseTime, read.StartTime);
        Assert.Equal(BaseTime.AddTicks(10), read.IAmAliveTime);
    }

    [Fact]
    public async Task InsertWithAStaleOrFutureTableVersionReturnsFalseAndChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry first = NewEntry(NewSilo());
        TableVersion stale = (await ReadAsync(table)).Version.Next();
        await InsertAsync(table, first);
        MembershipTableSnapshot before = await ReadAsync(table);

        Assert.False(await table.InsertRowAsync(NewEntry(NewSilo()), stale, None));
        Assert.False(await table.InsertRowAsync(NewEntry(NewSilo()), MembershipTableFormat.CreateTableVersion(5), None));

        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(1, after.Version.Version);
        (MembershipEntry only, string etag) = Assert.Single(after.Entries);
        AssertSameRow(first, only);
        Assert.Equal(before.Entries[0].Etag, etag);
    }

    [Fact]
    public async Task InsertingASecondRowForTheSameSiloReturnsFalseAndChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry first = NewEntry(NewSilo());
        await InsertAsync(table, first);
        MembershipTableSnapshot before = await ReadAsync(table);

        bool inserted = await table.InsertRowAsync(first with { SiloName = "impostor", Status = SiloStatus.Dead }, before.Version.Next(), None);

        Assert.False(inserted);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(1, after.Version.Version);
        (MembershipEntry only, string etag) = Assert.Single(after.Entries);
        AssertSameRow(first, only);
        Assert.Equal(before.Entries[0].Etag, etag);
    }

    [Fact]
    public async Task UpdateWithTheCurrentEtagAndVersionReplacesTheRowAndChangesItsEtag()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo(), SiloStatus.Joining);
        await InsertAsync(table, entry);
        MembershipTableSnapshot before = await ReadAsync(table);
        Row(before, entry.Silo, out string etag);
        MembershipEntry changed = entry with
        {
            Status = SiloStatus.ShuttingDown,
            SiloName = "renamed",
            HostName = "other-host",
            ClientPort = 0,
            HttpPort = 9090,
            IAmAliveTime = BaseTime.AddMinutes(3),
            Suspicions = [new SuspectVote(NewSilo(), BaseTime.AddMinutes(2))],
        };

        bool updated = await table.UpdateRowAsync(changed, etag, before.Version.Next(), None);

        Assert.True(updated);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(2, after.Version.Version);
        AssertSameRow(changed, Row(after, entry.Silo, out string newEtag));
        Assert.NotEqual(etag, newEtag);
    }

    [Fact]
    public async Task UpdateWithAStaleRowEtagReturnsFalseAndChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo(), SiloStatus.Joining);
        await InsertAsync(table, entry);
        MembershipTableSnapshot first = await ReadAsync(table);
        Row(first, entry.Silo, out string staleEtag);
        MembershipEntry active = entry with { Status = SiloStatus.Active };
        Assert.True(await table.UpdateRowAsync(active, staleEtag, first.Version.Next(), None));
        MembershipTableSnapshot before = await ReadAsync(table);
        Row(before, entry.Silo, out string currentEtag);

        // The table version is current; only the row ETag is stale.
        bool updated = await table.UpdateRowAsync(entry with { Status = SiloStatus.Dead }, staleEtag, before.Version.Next(), None);

        Assert.False(updated);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(2, after.Version.Version);
        AssertSameRow(active, Row(after, entry.Silo, out string etagAfter));
        Assert.Equal(currentEtag, etagAfter);
    }

    [Fact]
    public async Task UpdateWithAStaleTableVersionReturnsFalseAndChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo(), SiloStatus.Joining);
        await InsertAsync(table, entry);
        MembershipTableSnapshot stale = await ReadAsync(table);
        Row(stale, entry.Silo, out string etag);
        await InsertAsync(table, NewEntry(NewSilo()));

        // The row ETag is current; the table moved on because another silo joined.
        bool updated = await table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, stale.Version.Next(), None);

        Assert.False(updated);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(2, after.Version.Version);
        AssertSameRow(entry, Row(after, entry.Silo, out string etagAfter));
        Assert.Equal(etag, etagAfter);
    }

    [Fact]
    public async Task UpdateOfASiloWithoutARowReturnsFalseAndChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry present = NewEntry(NewSilo());
        await InsertAsync(table, present);
        MembershipTableSnapshot before = await ReadAsync(table);
        Row(before, present.Silo, out string etag);

        bool updated = await table.UpdateRowAsync(NewEntry(NewSilo()), etag, before.Version.Next(), None);

        Assert.False(updated);
        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(1, after.Version.Version);
        Assert.Single(after.Entries);
    }

    [Fact]
    public async Task AnEtagTheTableNeverIssuedIsStale()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo());
        await InsertAsync(table, entry);
        MembershipTableSnapshot before = await ReadAsync(table);
        Row(before, entry.Silo, out string etag);

        foreach (string foreign in new[] { "", "W/\"1\"", "-1", "0", " 1", "99999999999999999999", etag + "0" })
        {
            Assert.False(await table.UpdateRowAsync(entry with { SiloName = "intruder" }, foreign, before.Version.Next(), None), $"ETag '{foreign}' was accepted");
        }

        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(1, after.Version.Version);
        AssertSameRow(entry, Row(after, entry.Silo, out string etagAfter));
        Assert.Equal(etag, etagAfter);
    }

    [Fact]
    public async Task EveryChangeMovesTheVersionByExactlyOne()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        List<MembershipEntry> entries = [];
        for (int i = 0; i < 4; i++)
        {
            entries.Add(NewEntry(NewSilo(), SiloStatus.Joining, "silo-" + i));
            Assert.Equal(i + 1, (await InsertAsync(table, entries[i])).Version);
        }

        foreach (MembershipEntry entry in entries)
        {
            MembershipTableSnapshot snapshot = await ReadAsync(table);
            Row(snapshot, entry.Silo, out string etag);
            Assert.True(await table.UpdateRowAsync(entry with { Status = SiloStatus.Active }, etag, snapshot.Version.Next(), None));
        }

        MembershipTableSnapshot final = await ReadAsync(table);
        Assert.Equal(8, final.Version.Version);
        Assert.Equal(4, final.Entries.Count);
        Assert.All(final.Entries, row => Assert.Equal(SiloStatus.Active, row.Entry.Status));
        Assert.Equal(4, final.Entries.Select(row => row.Entry.Silo).Distinct().Count());
    }

    [Fact]
    public async Task UpdateIAmAliveChangesOnlyTheIAmAliveTime()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo()) with { Suspicions = [new SuspectVote(NewSilo(), BaseTime)] };
        await InsertAsync(table, entry);
        MembershipTableSnapshot before = await ReadAsync(table);
        Row(before, entry.Silo, out string etag);
        DateTimeOffset alive = BaseTime.AddHours(1).AddTicks(-30);

        await table.UpdateIAmAliveAsync(entry.Silo, alive, None);

        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(before.Version, after.Version);
        MembershipEntry read = Row(after, entry.Silo, out string etagAfter);
        Assert.Equal(etag, etagAfter);
        AssertSameRow(entry with { IAmAliveTime = alive }, read);
    }

    [Fact]
    public async Task UpdateIAmAliveOfASiloWithoutARowChangesNothing()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        MembershipEntry entry = NewEntry(NewSilo());
        await InsertAsync(table, entry);

        await table.UpdateIAmAliveAsync(NewSilo(), BaseTime.AddDays(1), None);

        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(1, after.Version.Version);
        AssertSameRow(entry, Assert.Single(after.Entries).Entry);
    }

    [Fact]
    public async Task RowsGoingInAndComingOutAreCopiesThatCallersCannotChange()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        var votes = new List<SuspectVote> { new(NewSilo(), BaseTime) };
        MembershipEntry entry = NewEntry(NewSilo()) with { Suspicions = votes };
        MembershipEntry expected = entry with { Suspicions = [.. votes], Silo = SiloAddress.Parse(entry.Silo.ToParsableString()) };
        await InsertAsync(table, entry);

        votes.Add(new SuspectVote(NewSilo(), BaseTime));
        entry.Silo.Endpoint.Port = 1;
        MembershipEntry firstRead = Assert.Single((await ReadAsync(table)).Entries).Entry;
        firstRead.Silo.Endpoint.Port = 2;
        firstRead.Suspicions[0].Suspecter.Endpoint.Port = 3;

        AssertSameRow(expected, Assert.Single((await ReadAsync(table)).Entries).Entry);
    }

    [Fact]
    public async Task WritesRejectArgumentsNoTableCanStore()
    {
        IMembershipTable table = await CreateInitializedTableAsync();
        TableVersion next = (await ReadAsync(table)).Version.Next();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => table.InsertRowAsync(NewEntry(NewSilo()), MembershipTableFormat.CreateTableVersion(0), None));
        await Assert.ThrowsAsync<ArgumentException>(() => table.InsertRowAsync(NewEntry(NewSilo(), SiloStatus.None), next, None));
        await Assert.ThrowsAsync<ArgumentException>(() => table.InsertRowAsync(NewEntry(default), next, None));
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpdateRowAsync(NewEntry(NewSilo()) with { HttpPort = 70000 }, "1", next, None));
        await Assert.ThrowsAsync<ArgumentException>(() => table.UpdateIAmAliveAsync(default, BaseTime, None));

        MembershipTableSnapshot after = await ReadAsync(table);
        Assert.Equal(0, after.Version.Version);
        Assert.Empty(after.Entries);
    }
}
