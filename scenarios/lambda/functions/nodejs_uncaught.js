// Throws with the message the invoke payload asks for.
exports.handler = async (event) => {
  throw new Error(`Error: ${event.error_msg}`);
};
