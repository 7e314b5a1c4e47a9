// Returns nothing: the invoke answers with the payload "null".
exports.handler = async (event) => {
  console.log(JSON.stringify(event));
};
