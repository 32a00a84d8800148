// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IKuraErrors
/// @notice The custom errors more than one kura contract raises, declared once so that a selector has one
/// declaration everywhere: an error's selector hashes its name and parameter types but not the parameter
/// names, so two declarations with other names would decode one revert two ways. Contracts raise them
/// qualified (`revert IKuraErrors.NodeNotActive(node)`), so each contract's ABI lists exactly the errors it
/// can raise. An error only one contract raises stays in that contract's interface.
interface IKuraErrors {
    /// @notice A parameter is unusable (a zero window, address, count or hash, given at deployment or to a
    /// function that configures something); `what` names it.
    error BadParameter(bytes32 what);

    /// @notice `node` is not Active in the NodeRegistry (or is under-staked), so it cannot take this part.
    error NodeNotActive(address node);

    /// @notice Only `owner`, the owner of `fileId`, may do this, not `caller`.
    error NotFileOwner(bytes32 fileId, address caller, address owner);

    /// @notice `caller` may not repair shares: the FileRegistry takes repairs only from its repair
    /// contract, and the repair contract only from Active registered nodes.
    error NotRepairer(address caller);

    /// @notice Block `seedBlock`, whose hash draws for the task or challenge `id`, is not mined yet: retry
    /// after it.
    error SeedNotYetAvailable(uint256 id, uint64 seedBlock);

    /// @notice The leaf (index, node, chunkCount, shareRoot) of share `index` held by `node` is not in the
    /// shares commitment of `fileId`.
    error ShareNotCommitted(bytes32 fileId, uint8 index, address node);
}
