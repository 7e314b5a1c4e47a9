// Returns the event it was given (the Node.js counterpart of python_echo.py).
exports.handler = async (event) => {
  console.log(JSON.stringify(event));
  return event;
};
