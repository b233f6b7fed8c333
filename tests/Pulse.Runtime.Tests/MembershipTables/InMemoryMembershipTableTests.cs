using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.MembershipTables;

/// <summary>The compliance suite against <see cref="InMemoryMembershipTable"/>: one shared instance is the store.</summary>
public sealed class InMemoryMembershipTableTests : MembershipTableComplianceTests
{
    private InMemoryMembershipTable _store = new("unused-cluster");

    protected override Task CreateStoreAsync()
    {
        _store = new InMemoryMembershipTable("unused-cluster");
        return Task.CompletedTask;
    }

    protected override Task DeleteStoreAsync() => Task.CompletedTask;

    protected override IMembershipTable CreateTable(string clusterId) => _store.ForCluster(clusterId);

    [Fact]
    public async Task ATableForItsOwnClusterIsTheSameInstanceAndSeparateInstancesShareNothing()
    {
        InMemoryMembershipTable table = _store.ForCluster(ClusterId);
        await table.InitializeAsync(None);
        await InsertAsync(table, NewEntry(NewSilo()));

        var unrelated = new InMemoryMembershipTable(ClusterId);
        await unrelated.InitializeAsync(None);

        Assert.Same(table, table.ForCluster(ClusterId));
        Assert.Equal(ClusterId, table.ClusterId);
        Assert.Single((await ReadAsync(_store.ForCluster(ClusterId))).Entries);
        Assert.Empty((await ReadAsync(unrelated)).Entries);
    }
}
