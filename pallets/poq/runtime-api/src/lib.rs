//! Runtime API of `pallet-poq` for clients and the off-chain worker.
//!
//! A runtime implements it by calling the pallet's `request_status`, `pending_work`,
//! `scoring_input` and `slot_fee` and reading `QualityModel`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use pallet_poq::{
	queries::{LiveRequest, RequestStatus, Seat, Task},
	RequestId,
};

sp_api::decl_runtime_apis! {
	/// What clients ask of the Proof of Quality protocol.
	pub trait PoqApi<AccountId, Status, Balance> where AccountId: Codec, Status: Codec, Balance: Codec {
		/// Status of a request: live with its phase and seats, finished with its outcome
		/// (until pruned), or `None` when unknown.
		fn request_status(id: RequestId) -> Option<Status>;
		/// The live requests on which `who` has to respond, commit or reveal, oldest first.
		fn pending_work(who: AccountId) -> Vec<(RequestId, Task)>;
		/// Prompt and responses, in response order, of a request whose committee is drawn.
		fn scoring_input(id: RequestId) -> Option<(Vec<u8>, Vec<Vec<u8>>)>;
		/// The digest of the quality model validators must run (`poq-scorer digest`).
		fn quality_model() -> Option<[u8; 32]>;
		/// What a request submitted now pays for its slot, besides its fee (never refunded).
		fn slot_fee() -> Balance;
	}
}
