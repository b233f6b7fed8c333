using System.Text;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

public abstract partial class GrainStorageComplianceTests
{
    protected const string QueryGrainType = "compliance.query";

    /// <summary>
    /// Keys that tell an exact ordinal prefix match from LIKE patterns, case folding, collations and
    /// UTF-16 order: wildcards, escapes, quotes, accents, CJK, emoji, and the edges of the code point
    /// range where a prefix's upper bound must carry (U+D7FF, U+FFFF, U+10FFFF).
    /// </summary>
    protected static readonly string[] PrefixKeys =
    [
        "t1", "t1/", "t1/a", "t1/b", "t10/x", "t1-/x", "t1./x", "T1/upper", "t2/x",
        "t1/50%_off", "t1/50X_off", "t1/50%", "t1/under_score", "t1/underXscore", "t1/%", "t1/_", "t1/x",
        "t1/back\\slash", "t1/back/slash", "t1/back\\", "t1/it's \"quoted\"", "t1/it''s", "t1/it",
        "t1/Zoë", "t1/Zoe", "t1/ZOË", "t1/東京", "t1/東x", "t1/🚀", "t1/🚀🚀", "t1/\uE000", "t1/\uFFFD",
        "t1/\uD7FF", "t1/\uD7FFz", "t1/\uFFFF", "t1/\uFFFFa", "t1/\U00010000",
        "t1/\U0010FFFF", "t1/\U0010FFFFz", "t1/\U0010FFFF\U0010FFFF", "u\U0010FFFF", "u\U0010FFFF\U0010FFFF",
    ];

    /// <summary>Prefixes queried against <see cref="PrefixKeys"/>; each must return exactly the keys that start with it.</summary>
    protected static readonly string[] Prefixes =
    [
        "", "t1", "t1/", "t10/", "t1/50%", "t1/50%_", "t1/under_", "t1/%", "t1/_", "t1/back\\", "t1/it's \"", "t1/it'",
        "t1/Zo", "t1/Zoë", "t1/東", "t1/🚀", "t1/\uD7FF", "t1/\uFFFF", "t1/\U0010FFFF", "t1/\U0010FFFF\U0010FFFF",
        "u\U0010FFFF", "T1", "t", "nothing", "t1/x/longer than the key",
    ];

    /// <summary>Key order as the contract defines it: by UTF-8 bytes, computed independently of the providers.</summary>
    protected static IReadOnlyList<string> InKeyOrder(IEnumerable<string> keys) =>
        keys.Order(Comparer<string>.Create((a, b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)))).ToList();

    protected static IGrainStorageQuery AsQuery(IGrainStorage storage) => Assert.IsAssignableFrom<IGrainStorageQuery>(storage);

    protected static async Task<List<StoredGrainState<ComplianceState>>> QueryAllAsync(
        IGrainStorage storage, string keyPrefix, string grainType = QueryGrainType, string stateName = StateName, CancellationToken cancellationToken = default)
    {
        List<StoredGrainState<ComplianceState>> results = [];
        await foreach (StoredGrainState<ComplianceState> stored in AsQuery(storage).QueryAsync<ComplianceState>(stateName, new GrainType(grainType), keyPrefix, cancellationToken))
        {
            results.Add(stored);
        }

        return results;
    }

    protected static async Task<List<string>> QueryKeysAsync(IGrainStorage storage, string keyPrefix, string grainType = QueryGrainType, string stateName = StateName) =>
        (await QueryAllAsync(storage, keyPrefix, grainType, stateName)).Select(s => s.GrainId.Key).ToList();

    /// <summary>Writes every key of <see cref="PrefixKeys"/> and checks every prefix of <see cref="Prefixes"/> against them.</summary>
    protected static async Task AssertPrefixQueriesAreExactAsync(IGrainStorage storage)
    {
        foreach (string key in PrefixKeys)
        {
            await WriteNewAsync(storage, GrainId.Create(QueryGrainType, key), new ComplianceState { Name = key });
        }

        foreach (string prefix in Prefixes)
        {
            IReadOnlyList<string> expected = InKeyOrder(PrefixKeys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)));
            List<StoredGrainState<ComplianceState>> results = await QueryAllAsync(storage, prefix);

            Assert.True(
                expected.SequenceEqual(results.Select(r => r.GrainId.Key)),
                $"prefix '{Escape(prefix)}': expected [{string.Join(", ", expected.Select(Escape))}] but got [{string.Join(", ", results.Select(r => Escape(r.GrainId.Key)))}]");
            Assert.All(results, r => Assert.Equal(r.GrainId.Key, r.State.Name));
            Assert.All(results, r => Assert.Equal(QueryGrainType, r.GrainId.Type.Value));
        }
    }

    private static string Escape(string value) =>
        string.Concat(value.EnumerateRunes().Select(r => r.Value is < 0x20 or > 0x7E ? $"\\u{r.Value:X4}" : r.ToString()));

    [Fact]
    public async Task QueryReturnsExactlyTheKeysThatStartWithThePrefixInCodePointOrder()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();

        await AssertPrefixQueriesAreExactAsync(storage);
    }

    [Fact]
    public async Task QueryOfAnEmptyStoreOrAnUnknownTypeReturnsNothing()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        Assert.Empty(await QueryAllAsync(storage, string.Empty));

        await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/a"), new ComplianceState());
        Assert.Empty(await QueryAllAsync(storage, string.Empty, grainType: "compliance.unknown"));
        Assert.Empty(await QueryAllAsync(storage, "t1/a", stateName: "unknown"));
    }

    [Fact]
    public async Task QueryReturnsTheStoredStateAndTheEtagAReadWouldGive()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = GrainId.Create(QueryGrainType, "t1/rich");
        ComplianceState value = ComplianceState.CreateRich("Zoë — 東京 🚀", 7);
        TestGrainState<ComplianceState> written = await WriteNewAsync(storage, grainId, value);
        await storage.WriteStateAsync(StateName, grainId, written, CancellationToken.None);

        StoredGrainState<ComplianceState> stored = Assert.Single(await QueryAllAsync(storage, "t1/"));

        Assert.Equal(grainId, stored.GrainId);
        Assert.Equal(written.ETag, stored.ETag);
        Assert.Equal((await ReadAsync(storage, grainId)).ETag, stored.ETag);
        Assert.Equal(ToJson(value), ToJson(stored.State));

        // The ETag guards a write like one from a read, and the returned state is a copy.
        stored.State.Name = "changed by the caller";
        var update = new TestGrainState<ComplianceState>(new ComplianceState { Name = "updated" }) { ETag = stored.ETag, RecordExists = true };
        await storage.WriteStateAsync(StateName, grainId, update, CancellationToken.None);
        Assert.Equal("updated", Assert.Single(await QueryAllAsync(storage, "t1/")).State.Name);
    }

    [Fact]
    public async Task QueryLeavesOutClearedRecordsAndReturnsRewrittenOnes()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        TestGrainState<ComplianceState> a = await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/a"), new ComplianceState { Name = "a" });
        TestGrainState<ComplianceState> b = await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/b"), new ComplianceState { Name = "b" });
        TestGrainState<ComplianceState> c = await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/c"), new ComplianceState { Name = "c" });

        await storage.ClearStateAsync(StateName, GrainId.Create(QueryGrainType, "t1/b"), b, CancellationToken.None);
        await storage.ClearStateAsync(StateName, GrainId.Create(QueryGrainType, "t1/c"), c, CancellationToken.None);
        c.State = new ComplianceState { Name = "c again" };
        await storage.WriteStateAsync(StateName, GrainId.Create(QueryGrainType, "t1/c"), c, CancellationToken.None);

        List<StoredGrainState<ComplianceState>> results = await QueryAllAsync(storage, "t1/");
        Assert.Equal(["t1/a", "t1/c"], results.Select(r => r.GrainId.Key));
        Assert.Equal([a.ETag, c.ETag], results.Select(r => r.ETag));
        Assert.Equal("c again", results[1].State.Name);
    }

    [Fact]
    public async Task QueryLeavesOutOtherServicesGrainTypesAndStateNames()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        IGrainStorage otherService = await CreateInitializedProviderAsync(ServiceId + "-other");
        await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/mine"), new ComplianceState { Name = "mine" });
        await WriteNewAsync(otherService, GrainId.Create(QueryGrainType, "t1/other-service"), new ComplianceState());
        await WriteNewAsync(storage, GrainId.Create(QueryGrainType + "2", "t1/other-type"), new ComplianceState());
        await WriteNewAsync(storage, GrainId.Create("compliance", "t1/other-type-2"), new ComplianceState());
        await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/other-state"), new ComplianceState(), stateName: "settings");
        await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/mine"), new ComplianceState { Name = "mine, settings" }, stateName: "settings");

        Assert.Equal(["t1/mine"], await QueryKeysAsync(storage, string.Empty));
        Assert.Equal(["t1/other-service"], await QueryKeysAsync(otherService, "t1/"));
        Assert.Equal(["t1/other-type"], await QueryKeysAsync(storage, string.Empty, grainType: QueryGrainType + "2"));
        List<StoredGrainState<ComplianceState>> settings = await QueryAllAsync(storage, "t1/", stateName: "settings");
        Assert.Equal(["t1/mine", "t1/other-state"], settings.Select(s => s.GrainId.Key));
        Assert.Equal("mine, settings", settings[0].State.Name);
    }

    [Fact]
    public async Task QueryStreamsThousandsOfRecordsInKeyOrderAcrossPages()
    {
        const int Count = 2_500;
        IGrainStorage storage = await CreateInitializedProviderAsync();

        // Neighbours on both sides of the range, and cleared records inside it, so page boundaries meet them.
        string[] keys = Enumerable.Range(0, Count).Select(i => $"bulk/{i:D5}").ToArray();
        string[] neighbours = ["bulk", "bulk.", "bulk0", "bulk/", "bulk//"];
        foreach (string[] batch in keys.Concat(neighbours).Chunk(16))
        {
            await Task.WhenAll(batch.Select(key => WriteNewAsync(storage, GrainId.Create(QueryGrainType, key), new ComplianceState { Name = key })));
        }

        HashSet<string> cleared = keys.Where((_, i) => i % 7 == 3).ToHashSet();
        foreach (string key in cleared)
        {
            TestGrainState<ComplianceState> state = await ReadAsync(storage, GrainId.Create(QueryGrainType, key));
            await storage.ClearStateAsync(StateName, GrainId.Create(QueryGrainType, key), state, CancellationToken.None);
        }

        List<string> expected = ["bulk/", "bulk//", .. keys.Where(k => !cleared.Contains(k))];
        List<string> seen = [];
        await foreach (StoredGrainState<ComplianceState> stored in AsQuery(storage).QueryAsync<ComplianceState>(StateName, new GrainType(QueryGrainType), "bulk/", CancellationToken.None))
        {
            Assert.Equal(stored.GrainId.Key, stored.State.Name);
            seen.Add(stored.GrainId.Key);
        }

        Assert.Equal(expected, seen);
        Assert.Equal(Count + neighbours.Length - cleared.Count, (await QueryAllAsync(storage, string.Empty)).Count);
    }

    [Fact]
    public async Task QueryStoppedEarlyLeavesTheStoreUsable()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        foreach (string key in Enumerable.Range(0, 20).Select(i => $"t1/{i:D2}"))
        {
            await WriteNewAsync(storage, GrainId.Create(QueryGrainType, key), new ComplianceState { Name = key });
        }

        await foreach (StoredGrainState<ComplianceState> stored in AsQuery(storage).QueryAsync<ComplianceState>(StateName, new GrainType(QueryGrainType), "t1/", CancellationToken.None))
        {
            // Writing while listing, then leaving the loop, must neither deadlock nor leave anything open.
            await WriteNewAsync(storage, GrainId.Create(QueryGrainType, "t1/written-while-listing"), new ComplianceState());
            break;
        }

        Assert.Equal(21, (await QueryKeysAsync(storage, "t1/")).Count);
    }

    [Fact]
    public async Task QueryWithACancelledTokenThrowsAndCancellingMidwayStopsTheListing()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        foreach (string key in Enumerable.Range(0, 10).Select(i => $"t1/{i}"))
        {
            await WriteNewAsync(storage, GrainId.Create(QueryGrainType, key), new ComplianceState());
        }

        IGrainStorageQuery query = AsQuery(storage);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (StoredGrainState<ComplianceState> _ in query.QueryAsync<ComplianceState>(StateName, new GrainType(QueryGrainType), "t1/", cancelled.Token))
            {
                Assert.Fail("A cancelled listing returned a record.");
            }
        });

        // Through the parameter and through WithCancellation (the token await foreach passes on).
        foreach (bool viaWithCancellation in new[] { false, true })
        {
            using var midway = new CancellationTokenSource();
            IAsyncEnumerable<StoredGrainState<ComplianceState>> listing = query.QueryAsync<ComplianceState>(
                StateName, new GrainType(QueryGrainType), "t1/", viaWithCancellation ? CancellationToken.None : midway.Token);
            int seen = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (StoredGrainState<ComplianceState> _ in listing.WithCancellation(viaWithCancellation ? midway.Token : CancellationToken.None))
                {
                    if (++seen == 3)
                    {
                        await midway.CancelAsync();
                    }
                }
            });
            Assert.Equal(3, seen);
        }
    }

    [Fact]
    public async Task QueryArgumentsAreCheckedWhenItIsCalled()
    {
        IGrainStorageQuery query = AsQuery(await CreateInitializedProviderAsync());
        var grainType = new GrainType(QueryGrainType);

        Assert.Throws<ArgumentNullException>(() => query.QueryAsync<ComplianceState>(StateName, grainType, null!, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => query.QueryAsync<ComplianceState>(StateName, grainType, "t1/\uD800", CancellationToken.None));
        Assert.Throws<ArgumentException>(() => query.QueryAsync<ComplianceState>(StateName, grainType, "\uDC00t1", CancellationToken.None));
        Assert.Throws<ArgumentException>(() => query.QueryAsync<ComplianceState>(StateName, default, "t1/", CancellationToken.None));
        Assert.ThrowsAny<ArgumentException>(() => query.QueryAsync<ComplianceState>(string.Empty, grainType, "t1/", CancellationToken.None));
        Assert.ThrowsAny<ArgumentException>(() => query.QueryAsync<ComplianceState>(null!, grainType, "t1/", CancellationToken.None));
    }
}
