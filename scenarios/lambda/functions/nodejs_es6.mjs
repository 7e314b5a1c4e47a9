// An ES module handler: answers with a body naming the event it got.
export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify(`response from localstack lambda: ${JSON.stringify(event)}`),
});
