// What every client script here does with the chain: send a signed transaction and learn how it
// ended.

/**
 * Signs and sends `tx`, resolving once it is in a block with `{ block, events }`, or rejecting
 * with the dispatch error; a module error's name is on `error.module` (for example
 * `"poq.PromptTooLong"`) and the block's events on `error.events`.
 */
export function send(api, tx, signer, options = {}) {
	return new Promise((ok, fail) => {
		let unsubscribe;
		tx.signAndSend(signer, options, ({ status, dispatchError, events }) => {
			if (!status.isInBlock && !status.isFinalized) {
				if (status.isInvalid || status.isDropped || status.isUsurped) {
					fail(new Error(`transaction ${status.type}`));
				}
				return;
			}
			unsubscribe?.();
			const hash = status.isInBlock ? status.asInBlock : status.asFinalized;
			api.rpc.chain.getHeader(hash).then((header) => {
				const block = header.number.toNumber();
				if (dispatchError) {
					const meta = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
					const error = new Error(meta ? `${meta.section}.${meta.name}` : dispatchError.toString());
					error.module = meta ? `${meta.section}.${meta.name}` : null;
					error.events = events;
					error.block = block;
					fail(error);
				} else {
					ok({ block, events });
				}
			}, fail);
		})
			.then((u) => (unsubscribe = u))
			.catch(fail);
	});
}
