//! The node's RPC methods beyond Substrate's defaults: account nonces and fee estimates.
//!
//! PoQ's own queries (a request's status, an account's pending work) need no RPC of their
//! own: they are the runtime API `PoqApi`, which clients call through `state_call`
//! (`api.call.poqApi.*` in polkadot.js).

use crate::service::FullClient;
use jsonrpsee::RpcModule;
use poq_primitives::opaque::Block;
use sc_transaction_pool_api::TransactionPool;
use std::sync::Arc;

/// Builds the RPC module.
pub fn create_full<P>(
	client: Arc<FullClient>,
	pool: Arc<P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	P: TransactionPool<Block = Block> + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client).into_rpc())?;
	Ok(module)
}
